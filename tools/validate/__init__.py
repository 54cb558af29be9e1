"""`terraform validate` of every synthesized stack, offline when a provider mirror is present.

  python -m tools.validate [--outdir cdktf.out] [--json] [--real-providers] [--jobs N]

Each stack is copied to a temporary folder without its backend (validation must
not touch state). The stacks whose providers the mirror serves are validated
together, each as a child module of one root (terraform then loads the AWS
provider's schema once, not once per stack: batch.py says when a stack is
validated alone instead); the others one by one, after
`terraform init -backend=false` where a provider must be installed. Result per stack: valid, invalid (one line per error:
stack, resource address, summary) or skipped (with the reason). Exit 0 when no
stack is invalid (nor skipped, with --require-all), 1 otherwise, 2 when
nothing can be validated (no terraform CLI, or PLATFORM_TF_MIRROR is no mirror).

Providers: a filesystem mirror (`PLATFORM_TF_MIRROR`, else the first well-known
folder that holds `<host>/<namespace>/<type>/<version>/<os_arch>/`) serves the
providers it holds, in place (`dev_overrides`: no init, no hashing); the others
are downloaded as usual. A stack whose provider
is neither in the mirror nor downloadable (no registry access) is skipped,
never failed. Without a mirror, or with `--real-providers`, terraform installs
every provider the normal way (the pull-request workflow does that).

Version skew: the stacks pin the provider versions the bindings were generated
for. Against a mirror that holds only an older version, the pin is relaxed to
the mirror's version (the newest it holds) and the few constructs of the newer major version that the
stacks use are rewritten as listed in REWRITES; each applied rewrite is
reported. Anything else the older provider rejects is a failure.

Parts: versions.py (constraints, REWRITES), mirror.py (the mirror and the CLI
configuration), run.py (one stack's validation), batch.py (stacks validated
together, and the run over all), diagnostics.py (terraform's diagnostics as
lines), __main__.py (the command).
"""

from __future__ import annotations

from tools.validate.batch import validate_stacks
from tools.validate.diagnostics import block_addresses
from tools.validate.mirror import CannotValidate, find_mirror, mirror_providers, terraform_platform
from tools.validate.run import StackResult, warm_up_first
from tools.validate.versions import REWRITES, parse_version, satisfies

__all__ = [
    "REWRITES",
    "CannotValidate",
    "StackResult",
    "block_addresses",
    "find_mirror",
    "mirror_providers",
    "parse_version",
    "satisfies",
    "terraform_platform",
    "validate_stacks",
    "warm_up_first",
]
