"""The cars data in data/cars.csv: what the notebooks and the model rely on."""

import pandas as pd
import pytest

from workshop.cars_data import DTYPES, from_vega, load_cars, main, to_csv_text
from workshop_app.car_schema import FIELDS


@pytest.fixture(scope="module")
def cars():
    return load_cars()


def test_columns_and_types(cars):
    assert list(cars.columns) == list(DTYPES)
    for column, dtype in DTYPES.items():
        assert pd.api.types.is_dtype_equal(cars[column].dtype, dtype), column
    assert pd.api.types.is_string_dtype(cars["name"]) and pd.api.types.is_string_dtype(cars["origin"])


def test_size_and_ids(cars):
    assert len(cars) == 406
    assert cars["car_id"].is_unique and cars["car_id"].min() == 1
    assert not cars.drop(columns="car_id").duplicated().any()


def test_missing_values_are_the_known_ones(cars):
    missing = cars.isna().sum()
    assert missing["mpg"] == 8 and missing["horsepower"] == 6
    assert missing.drop(["mpg", "horsepower"]).sum() == 0


@pytest.mark.parametrize(
    "column,low,high",
    [
        ("mpg", 9, 47),
        ("cylinders", 3, 8),
        ("displacement", 68, 455),
        ("horsepower", 46, 230),
        ("weight", 1613, 5140),
        ("acceleration", 8, 24.8),
        ("year", 1970, 1982),
    ],
)
def test_ranges(cars, column, low, high):
    values = cars[column].dropna()
    assert values.between(low, high).all()
    assert values.min() <= low + 1 and values.max() >= high - 1  # the range is really used


@pytest.mark.parametrize(
    "column", ["cylinders", "displacement", "horsepower", "weight", "acceleration", "year", "origin"]
)
def test_the_api_accepts_every_car_in_the_data(cars, column):
    field = FIELDS[column]
    values = cars[column].dropna()
    if field.choices:
        assert set(values) == set(field.choices)
    else:
        assert values.between(field.minimum, field.maximum).all()


def test_csv_is_what_vega_datasets_ships():
    assert main(["--check"]) == 0
    assert to_csv_text(from_vega()) == to_csv_text(load_cars())
