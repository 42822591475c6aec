"""``report``: coverage of the committed schemas per module."""

from __future__ import annotations
import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    return 0
