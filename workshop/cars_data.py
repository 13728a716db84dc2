"""The Auto MPG cars data: exported from `vega_datasets` (it ships the file, no download) to
data/cars.csv, and loaded back into pandas with the project's column names.

    python -m workshop.cars_data           # (re)write data/cars.csv
    python -m workshop.cars_data --check   # exit 1 if data/cars.csv differs from the package's
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import DATA_DIR

CSV = DATA_DIR / "cars.csv"
TARGET = "mpg"
RENAME = {
    "Name": "name",
    "Miles_per_Gallon": "mpg",
    "Cylinders": "cylinders",
    "Displacement": "displacement",
    "Horsepower": "horsepower",
    "Weight_in_lbs": "weight",
    "Acceleration": "acceleration",
    "Year": "year",
    "Origin": "origin",
}
DTYPES = {
    "car_id": "int64",
    "name": "string",
    "mpg": "float64",
    "cylinders": "int64",
    "displacement": "float64",
    "horsepower": "float64",
    "weight": "float64",
    "acceleration": "float64",
    "year": "int64",
    "origin": "string",
}


def from_vega() -> pd.DataFrame:
    """The 406 cars as vega_datasets ships them, renamed, with a stable `car_id` (1..406).

    Names repeat (there are several "ford pinto"s), hence the id. Model year is a date in the
    package; we keep the year.
    """
    import json

    from vega_datasets import data

    # Read the package's JSON file ourselves: data.cars() uses a read_json option pandas deprecates.
    records = json.loads(Path(data.cars.filepath).read_text())
    df = pd.DataFrame.from_records(records).rename(columns=RENAME)
    df["year"] = df["year"].str[:4].astype(int)  # "1970-01-01" -> 1970
    df.insert(0, "car_id", range(1, len(df) + 1))
    return df.astype(DTYPES)[list(DTYPES)]


def load_cars() -> pd.DataFrame:
    """data/cars.csv with the project's dtypes. Missing mpg (8 cars) and horsepower (6) are NaN."""
    return pd.read_csv(CSV, dtype=DTYPES)


def to_csv_text(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = to_csv_text(from_vega())
    if args.check:
        if not CSV.exists() or CSV.read_text() != text:
            print(
                f"{CSV} differs from vega_datasets' cars; run `python -m workshop.cars_data`", file=sys.stderr
            )
            return 1
        print(f"{CSV} matches vega_datasets")
        return 0
    CSV.write_text(text)
    print(f"wrote {CSV} ({text.count(chr(10)) - 1} cars)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
