#!/usr/bin/env python3
"""Prints each failed test from the .trx files under a directory: name, message and stack, trimmed.

CI shows only the tail of the test output, and a failure's message can carry a whole node log,
so this runs last and keeps each failure short enough for all of them to fit.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
HEAD, TAIL = 3000, 3000


def trim(text: str) -> str:
    if len(text) <= HEAD + TAIL:
        return text
    return f"{text[:HEAD]}\n  [... {len(text) - HEAD - TAIL} characters left out ...]\n{text[-TAIL:]}"


def main(root: str) -> int:
    failed = 0
    for trx in sorted(pathlib.Path(root).rglob("*.trx")):
        for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", NS):
            if result.get("outcome") != "Failed":
                continue
            failed += 1
            print(f"\n=== FAILED: {result.get('testName')} ({trx.name})")
            message = result.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=NS)
            stack = result.findtext(".//t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
            print(trim(message.strip()))
            print("--- stack:")
            print(trim(stack.strip()))
    print(f"\n{failed} failed test(s) found in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
