"""Run every benchmark: `make bench` (or `python -m bench P6` for one)."""

from __future__ import annotations

import sys

from bench import (
    p1_agreement,
    p2_verify,
    p3_filing,
    p4_media,
    p5_log,
    p6_case_list,
    p7_directory,
    p8_live,
)

BENCHMARKS = {
    "P1": p1_agreement.run,
    "P2": p2_verify.run,
    "P3": p3_filing.run,
    "P4": p4_media.run,
    "P5": p5_log.run,
    "P6": p6_case_list.run,
    "P7": p7_directory.run,
    "P8": p8_live.run,
}


def main(argv: list[str]) -> None:
    chosen = argv or list(BENCHMARKS)
    for name in chosen:
        BENCHMARKS[name.upper()]()


if __name__ == "__main__":
    main(sys.argv[1:])
