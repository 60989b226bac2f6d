"""Project ledgers (项目台账) in and out: CSV and XLSX files, checked cell by cell (docs/import-export.md).

Reading: CSV in UTF-8, UTF-8 with BOM, UTF-16 (Excel's "Unicode text") and GB18030 (a superset of the
GBK that Chinese Excel saves), comma, semicolon or tab separated; XLSX through openpyxl in read-only
mode.  Headers are the English keys or the Chinese headers (项目名称, 投资方, …); a title row above the
header row is skipped.  ``check_rows`` checks every cell of every row and reports every problem with
its line, column letter and header, so that one pass over a file shows everything to fix.

Memory stays flat however long the file: the encoding is found a chunk at a time, rows are read one
at a time (a text stream for CSV, ``iter_rows`` for XLSX), and the check keeps only the problems, a
128-bit digest per row for duplicates, and the converted good rows on a spool (a temporary file) that
the import then reads back.

Writing: the same headers (English keys, or Chinese under ``lang="zh"``) so that an export imports
back unchanged.  Pure functions over data: the database is reached through ``workflow.service``.

Modules: ``columns`` (the ledger's columns, headers and column letters), ``reading`` (CSV, XLSX, the
workbook limits), ``spool`` (what a check keeps: the spool of good rows, the result, row identities),
``checking`` (every cell of every row, duplicates), ``writing`` (the ledger table, CSV and XLSX, safe
cells).  This package re-exports the names its importers use (a test patches a name in the module
that reads it, not here).
"""

from workflow.io.checking import _SCALE, check_rows
from workflow.io.columns import EXPORT_ORDER, column_letter
from workflow.io.reading import decode, read_csv_bytes, read_table
from workflow.io.spool import KEY_THRESHOLD_MINOR, Checked, Identities, identity_digest
from workflow.io.writing import ledger_table, set_text, write_csv, write_xlsx

__all__ = [
    "Checked", "EXPORT_ORDER", "Identities", "KEY_THRESHOLD_MINOR", "_SCALE",
    "check_rows", "column_letter", "decode", "identity_digest", "ledger_table", "read_csv_bytes", "read_table",
    "set_text", "write_csv", "write_xlsx"
]
