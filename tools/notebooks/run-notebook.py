#!/usr/bin/python3
"""Execute one notebook with nbclient, cell by cell, and write the executed copy.

Usage: run-notebook.py INPUT.ipynb OUTPUT.ipynb [--timeout SECONDS] [--kernel NAME]

Called by scripts/reproduce.ts (run it with Debian's /usr/bin/python3, which has nbclient).
The kernel runs in INPUT's folder, as in Jupyter. On the first failing cell it prints which
cell failed (index, first source line, its error and stderr), writes the partly executed
notebook to OUTPUT + '.failed.ipynb' for inspection, and exits 1. OUTPUT is written only when
every cell succeeded. A kernel that does not start is started again, up to 3 times in all; exit 2
means the run itself could not start (kernel missing or never answering, bad file).
"""
import argparse
import copy
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from jupyter_client.kernelspec import NoSuchKernel
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def first_line(src: str) -> str:
    for line in src.splitlines():
        if line.strip():
            return line.strip()[:100]
    return "(empty)"


def failure_text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream" and o.get("name") == "stderr":
            parts.append(o.get("text", ""))
        elif o.get("output_type") == "error":
            head = f"{o.get('ename', '')}: {o.get('evalue', '')}".strip(": ")
            if head:
                parts.append(head)
            tb = "\n".join(o.get("traceback", []))
            if tb and tb != head:
                parts.append(tb)
    return "\n".join(p.rstrip() for p in parts if p.strip())


KERNEL_START_TRIES = 3
NOT_STARTED = -1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("--kernel", default="tslab")
    a = ap.parse_args()

    try:
        nb = nbformat.read(a.input, as_version=4)
    except Exception as e:  # unreadable or invalid JSON: a usage error, not a cell failure
        print(f"{a.input}: cannot read notebook: {e}", file=sys.stderr)
        return 2
    # A kernel that fails to start has run nothing, so starting it again is safe. CI once saw
    # tslab's zeromq socket refuse the first kernel_info ("Socket is blocked by a bind or
    # unbind operation", EBUSY) and the kernel never answer.
    for attempt in range(1, KERNEL_START_TRIES + 1):
        status = run_once(a, copy.deepcopy(nb))
        if status != NOT_STARTED:
            return status
        if attempt < KERNEL_START_TRIES:
            print(
                f"  starting the kernel again (try {attempt + 1} of {KERNEL_START_TRIES})",
                file=sys.stderr,
            )
    return 2


def run_once(a, nb) -> int:
    """One kernel, every cell of `nb`: 0, 1 (a cell failed), 2 (no such kernel) or NOT_STARTED."""
    client = NotebookClient(
        nb,
        timeout=a.timeout,
        kernel_name=a.kernel,
        allow_errors=False,
        record_timing=False,  # keeps committed notebooks diffable
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(a.input))}},
    )
    code_no = 0
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                code_no += 1
                t0 = time.time()
                try:
                    client.execute_cell(cell, index)
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
                    why = "timed out" if isinstance(e, CellTimeoutError) else "failed"
                    if isinstance(e, DeadKernelError):
                        why = "killed the kernel"
                    print(
                        f"{a.input}: cell {index + 1} (code cell {code_no}, "
                        f"'{first_line(cell.source)}') {why}:",
                        file=sys.stderr,
                    )
                    detail = failure_text(cell) or str(e).strip()
                    print("  " + detail.replace("\n", "\n  "), file=sys.stderr)
                    nbformat.write(nb, a.output + ".failed.ipynb")
                    print(f"  partial notebook: {a.output}.failed.ipynb", file=sys.stderr)
                    return 1
                dt = time.time() - t0
                if dt >= 5:
                    print(f"  cell {index + 1}: {dt:.1f} s", file=sys.stderr)
    except Exception as e:  # kernel could not start
        if code_no == 0:
            print(f"{a.input}: could not start kernel '{a.kernel}': {e}", file=sys.stderr)
            # Not installed: starting it again cannot help.
            return 2 if isinstance(e, NoSuchKernel) else NOT_STARTED
        raise
    nbformat.write(nb, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
