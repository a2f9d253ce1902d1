#!/usr/bin/env python3
"""Opens a CSV export in LibreOffice Calc and checks what a spreadsheet user would see.

    csv-check.py EXPORT.csv --numeric case_id,pain_change --text "Thoracic pain — postural" \
        [--number pain_change=-4] [--text ...]

The file is converted headless to .xlsx by Calc and the cells are read back from the xlsx XML.
The character set is chosen the way Excel and Calc's text-import dialog choose it: UTF-8 when
the file starts with a UTF-8 byte-order mark, else the Windows ANSI code page (1252). Calc's
headless import does not look for the mark itself (LibreOffice 7.4 reads every CSV given no
filter options as Windows-1252, mark or not), so the script passes that choice as filter
options: 44 (comma), 34 (double quote), the character set, 1 (first line).

- the header row holds every --numeric column by its exact name (a byte-order mark that Calc
  did not understand would turn "case_id" into "ï»¿case_id");
- every data cell of those columns is a number (cell type n), never text (type s);
- every --text value is some cell's exact text (accents and dashes intact: without a BOM
  Calc reads the file as Windows-1252 and "—" becomes "â€”");
- every --number COLUMN=VALUE appears in that column as a number;
- no cell is a formula (no <f> element).

Standard library only. Exits 1 with every problem listed; exits 2 if Calc is missing or
cannot convert the file.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
import xml.etree.ElementTree as ET

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def fail(code, message):
    print(f"csv-check: FAILED: {message}", file=sys.stderr)
    sys.exit(code)


def convert(csv_path, workdir):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        fail(2, "soffice (LibreOffice) is not installed")
    # A private profile: a shared one can be locked by another Calc, and the first run
    # creates it anyway.
    profile = "file://" + os.path.join(workdir, "profile")
    with open(csv_path, "rb") as csv_file:
        has_bom = csv_file.read(3) == b"\xef\xbb\xbf"
    # 76 is UTF-8 and 1 is Windows-1252 in LibreOffice's numbering of character sets.
    charset = "76" if has_bom else "1"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            f"--infilter=CSV:44,34,{charset},1",
            "--convert-to",
            "xlsx",
            "--outdir",
            workdir,
            csv_path,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    stem = os.path.splitext(os.path.basename(csv_path))[0]
    xlsx = os.path.join(workdir, stem + ".xlsx")
    if result.returncode != 0 or not os.path.exists(xlsx):
        fail(
            2,
            f"soffice could not convert {csv_path} (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}",
        )
    return xlsx, has_bom


def column_of(reference):
    return re.sub(r"\d+$", "", reference)


def row_of(reference):
    return int(re.sub(r"^[A-Z]+", "", reference))


def read_cells(xlsx):
    """Returns ({(row, column): (type, text)}, number of <f> elements) of the first sheet."""
    with zipfile.ZipFile(xlsx) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ET.fromstring(book.read("xl/sharedStrings.xml"))
            for item in root.iter(MAIN + "si"):
                shared.append("".join(t.text or "" for t in item.iter(MAIN + "t")))
        sheets = sorted(
            n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)
        )
        if not sheets:
            fail(1, f"{xlsx} has no worksheet")
        root = ET.fromstring(book.read(sheets[0]))
    cells = {}
    formulas = 0
    for cell in root.iter(MAIN + "c"):
        if cell.find(MAIN + "f") is not None:
            formulas += 1
        kind = cell.get("t", "n")
        value = cell.find(MAIN + "v")
        text = value.text if value is not None and value.text is not None else ""
        if kind == "s":
            text = shared[int(text)]
        elif kind == "inlineStr":
            text = "".join(t.text or "" for t in cell.iter(MAIN + "t"))
        reference = cell.get("r", "")
        cells[(row_of(reference), column_of(reference))] = (kind, text)
    return cells, formulas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--numeric", default="", help="comma-separated column names")
    parser.add_argument("--text", action="append", default=[], help="an exact cell text")
    parser.add_argument(
        "--number", action="append", default=[], help="COLUMN=VALUE, a number in that column"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="csv-check-") as workdir:
        xlsx, has_bom = convert(os.path.abspath(args.csv), workdir)
        cells, formulas = read_cells(xlsx)

    problems = []
    if not has_bom:
        problems.append("no UTF-8 byte-order mark: read as Windows-1252, as Excel would")
    header = {text: col for (row, col), (_, text) in cells.items() if row == 1}
    last_row = max((row for row, _ in cells), default=0)
    if last_row < 2:
        problems.append("no data rows")
    if formulas:
        problems.append(f"{formulas} cell(s) hold a formula")

    numeric = [c for c in args.numeric.split(",") if c]
    for name in numeric:
        col = header.get(name)
        if col is None:
            problems.append(f"no header cell reads exactly {name!r}; header: {sorted(header)}")
            continue
        for row in range(2, last_row + 1):
            kind, text = cells.get((row, col), ("missing", ""))
            if kind != "n" or text == "":
                problems.append(f"{name} in row {row} is {kind!r} {text!r}, not a number")

    all_text = {text for (_, text) in cells.values()}
    for wanted in args.text:
        if wanted not in all_text:
            near = sorted(t for t in all_text if wanted[:4] in t or wanted[-4:] in t)
            problems.append(f"no cell reads {wanted!r}; cells like it: {near}")

    for pair in args.number:
        name, _, wanted = pair.partition("=")
        col = header.get(name)
        found = col is not None and any(
            kind == "n" and text != "" and float(text) == float(wanted)
            for (row, c), (kind, text) in cells.items()
            if c == col and row > 1
        )
        if not found:
            problems.append(f"no number {wanted} in column {name!r}")

    if problems:
        print(f"csv-check: FAILED: {args.csv} as read by LibreOffice Calc:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        sys.exit(1)
    print(
        f"csv-check: {args.csv}: {last_row - 1} rows; numbers in {', '.join(numeric) or '-'}; "
        f"{len(args.text)} texts intact; no formulas"
    )


if __name__ == "__main__":
    main()
