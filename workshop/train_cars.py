"""Train the miles-per-gallon model and save it as a verified artifact (model + manifest).

    python -m workshop.train_cars [--out models/cars] [--if-missing]

Notebook 02 walks through the same steps; this module is what `make model` runs.
"""

import argparse
import hashlib
import io
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from workshop_app import artifacts
from workshop_app.artifacts import MANIFEST
from workshop_app.car_schema import FEATURE_NAMES, FEATURES

from . import CARS_MODEL_DIR
from .cars_data import CSV, TARGET, load_cars
from .export_model import dumps, export

SEED = 42
NUMERIC = [i for i, f in enumerate(FEATURES) if f.kind is not str]
CATEGORICAL = [i for i, f in enumerate(FEATURES) if f.kind is str]


def training_data(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """X as an object array in FEATURE_NAMES order (what the API builds), y = mpg.

    Cars without mpg cannot teach the model anything and are dropped; missing horsepower stays
    missing: the pipeline imputes it, exactly as it will for API clients who send null.
    """
    known = df.dropna(subset=[TARGET])
    X = known[list(FEATURE_NAMES)].astype(object)
    X = X.where(X.notna(), None).to_numpy()
    return X, known[TARGET].to_numpy(dtype=float)


def preprocessing(scale: bool = True) -> ColumnTransformer:
    """Impute missing numbers with the median, scale them, one-hot encode the origin.

    Columns are chosen by position, not name, so the fitted pipeline takes a plain array and
    the Lambda needs no pandas to call it.
    """
    numeric = [SimpleImputer(strategy="median")] + ([StandardScaler()] if scale else [])
    return ColumnTransformer(
        [
            ("numeric", make_pipeline(*numeric), NUMERIC),
            ("origin", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )


def candidates() -> dict[str, Pipeline]:
    """The models we compare: a baseline that predicts the mean, and three real ones."""
    return {
        "baseline (mean)": make_pipeline(preprocessing(), DummyRegressor()),
        "ridge (degree 2)": make_pipeline(preprocessing(), PolynomialFeatures(2), Ridge(alpha=1.0)),
        "random forest": make_pipeline(
            preprocessing(scale=False),
            RandomForestRegressor(n_estimators=200, min_samples_leaf=2, random_state=SEED, n_jobs=1),
        ),
        "gradient boosting": make_pipeline(
            preprocessing(scale=False),
            HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, random_state=SEED),
        ),
    }


def compare(X: np.ndarray, y: np.ndarray, folds: int = 5) -> pd.DataFrame:
    """Cross-validated MAE (mpg) for every candidate, best first."""
    cv = KFold(folds, shuffle=True, random_state=SEED)
    rows = []
    # One thread: on 318 rows, gradient boosting's OpenMP threads cost more than they save, and
    # on a busy 2-core machine they made cross-validation ~9x slower.
    with threadpool_limits(1):
        for name, model in tqdm(candidates().items(), desc="cross-validating", unit="model"):
            scores = -cross_val_score(model, X, y, cv=cv, scoring="neg_mean_absolute_error")
            rows.append({"model": name, "cv_mae": scores.mean(), "cv_mae_std": scores.std()})
    return pd.DataFrame(rows).set_index("model").sort_values("cv_mae")


def save_model(estimator, out_dir: Path, model_name: str, metrics: dict) -> dict:
    """Write the model in both formats and a manifest listing their sha256; return the manifest.

    model.joblib is the scikit-learn pipeline (for notebooks and MODEL_FORMAT=sklearn);
    model.json is the same model exported for pure-Python inference (what Lambda runs).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    pickled = io.BytesIO()
    joblib.dump(estimator, pickled)
    # Whole files, the manifest last: a lesson or a test loading the model meanwhile sees the
    # old artifact or the new one (at worst a digest mismatch for a moment, never a torn file).
    artifacts.write_file(out_dir / "model.joblib", pickled.getvalue())
    artifacts.write_file(out_dir / "model.json", dumps(export(estimator, FEATURE_NAMES)))
    return artifacts.write_manifest(
        out_dir,
        {artifacts.PORTABLE: "model.json", "sklearn": "model.joblib"},
        model=model_name,
        features=list(FEATURE_NAMES),
        target=TARGET,
        metrics=metrics,
        versions={
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        data_sha256=hashlib.sha256(CSV.read_bytes()).hexdigest(),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def train(out_dir: Path = CARS_MODEL_DIR) -> dict:
    """Compare candidates on 80% of the cars, fit the best, report on the held-out 20%, save."""
    X, y = training_data(load_cars())
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
    table = compare(X_train, y_train)
    best = table.index[0]
    model = candidates()[best].fit(X_train, y_train)
    predicted = model.predict(X_test)
    metrics = {
        "cv_mae": round(float(table.loc[best, "cv_mae"]), 4),
        "test_mae": round(float(mean_absolute_error(y_test, predicted)), 4),
        "test_r2": round(float(r2_score(y_test, predicted)), 4),
        "n_train": len(y_train),
        "n_test": len(y_test),
    }
    return save_model(model, Path(out_dir), best, metrics)


def ensure_model(out_dir: Path = CARS_MODEL_DIR) -> dict:
    """The manifest of a model that loads and passes its checks, training one first if there is
    none or it cannot be used (e.g. written by an older version of the workshop)."""
    from workshop_app.car_model import ModelUnavailable, load_model

    try:
        load_model(str(out_dir))
    except ModelUnavailable as e:
        print(f"training a model, because: {e}")
        train(out_dir)
    return json.loads((Path(out_dir) / MANIFEST).read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the car mpg model.")
    parser.add_argument("--out", type=Path, default=CARS_MODEL_DIR, help="artifact directory")
    parser.add_argument(
        "--if-missing", action="store_true", help="do nothing when OUT already holds a manifest"
    )
    args = parser.parse_args(argv)
    if args.if_missing and (args.out / MANIFEST).exists():
        print(f"model already trained: {args.out / MANIFEST} (delete it to retrain)")
        return 0
    manifest = train(args.out)
    m = manifest["metrics"]
    print(
        f"trained {manifest['model']}: held-out MAE {m['test_mae']:.2f} mpg, "
        f"R² {m['test_r2']:.3f} (n_test={m['n_test']}); saved to {args.out} "
        f"[model_id {manifest['model_id']}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
