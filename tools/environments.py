"""Lists the environments of envs/ in promotion order (`ci.deploy_order`, then
name): the deploy workflow deploys them one after the other in this order, so
adding an environment file needs no workflow edit.

  python -m tools.environments [--only NAME] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from envs import ConfigError, Environment, load_environments


def promotion_order(environments: list[Environment]) -> list[Environment]:
    """Environments CI deploys (those with a `ci` section), lower `deploy_order` first."""
    with_ci = [(e.ci.deploy_order, e.name, e) for e in environments if e.ci is not None]
    return [e for _, _, e in sorted(with_ci, key=lambda item: (item[0], item[1]))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="just this environment ('all' or empty: every one)")
    parser.add_argument("--json", action="store_true", help="print a GitHub Actions matrix")
    args = parser.parse_args(argv)
    try:
        # Every environment, whatever PLATFORM_ENVS selects for a synth.
        ordered = promotion_order(load_environments({k: v for k, v in os.environ.items() if k != "PLATFORM_ENVS"}))
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    if args.only and args.only != "all":
        ordered = [e for e in ordered if e.name == args.only]
        if not ordered:
            print(f"no environment '{args.only}' with a ci section in envs/", file=sys.stderr)
            return 1
    names = [e.name for e in ordered]
    print(json.dumps([{"environment": n} for n in names]) if args.json else "\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
