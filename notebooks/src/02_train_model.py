# %% [markdown]
# # 02 · Train the mpg model
#
# We turn notebook 01's findings into a model of a car's miles per gallon, check it on cars it has
# never seen, and save it as an artifact that the API (notebook 03) and Lambda can load safely.
#
# **What you will learn**
#
# - why the model takes a plain array of values in a fixed order, not a pandas DataFrame;
# - how a pipeline handles missing values and text columns, so that training and serving agree;
# - how to compare models fairly (cross-validation, a baseline) and why a test set stays aside;
# - how to read a model's errors: MAE, R², predicted-vs-actual and residual plots;
# - what goes into an artifact: a portable export Lambda runs without scikit-learn, and a manifest
#   whose sha256 is checked before anything is loaded.
#
# **Prerequisites:** notebook 01 (the data, its gaps); scikit-learn's `fit`/`predict`.
#
# **Teaching:** 25 min · **Exercises:** 25 min · `make model` runs the same steps (`train_cars.py`)

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again: it only imports and loads.

# %%
import hashlib
import json
import pickle
import shutil
import tempfile
import timeit
from importlib.metadata import distribution
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold, cross_val_score, train_test_split

from workshop import ROOT
from workshop.cars_data import load_cars
from workshop.train_cars import NUMERIC, SEED, candidates, compare, preprocessing, save_model, training_data
from workshop_app.artifacts import unpack
from workshop_app.car_model import ModelUnavailable, load_model
from workshop_app.car_schema import FEATURE_NAMES, example_car, to_row
from workshop_app.portable_model import NODE_ARRAYS

plt.rcParams.update({"figure.figsize": (11, 4), "axes.grid": True, "grid.alpha": 0.3})
ORIGINS = {"USA": "tab:blue", "Europe": "tab:orange", "Japan": "tab:green"}
cars = load_cars()

# %% [markdown]
# ## 1. What the model will be asked
#
# In production, nobody hands our model a DataFrame. A client sends JSON to the API, which
# validates it and turns it into one row of values in `FEATURE_NAMES` order:

# %%
car = example_car()
print(json.dumps(car), FEATURE_NAMES, sep="\n")
to_row(car)  # what the API passes to model.predict([...])

# %% [markdown]
# Why not a DataFrame? A Lambda function's code must fit in 262,144,000 bytes unzipped, and the
# numerical libraries are big (measured below, with what `bench/` measured for whole artifacts).
# So the deployed code **does not import pandas**: the model must work on a plain array (fitted
# on a DataFrame with columns chosen by name, it would want a DataFrame to predict too).

# %%
# extra code – installed sizes here, and the unzipped artifacts bench/lambda_variants.py measured
for name in ("numpy", "scipy", "scikit-learn", "pandas"):
    files = [f.locate() for f in distribution(name).files]
    print(f"{name:13} {sum(f.stat().st_size for f in files if f.is_file()) / 1e6:4.0f} MB installed here")
variants = json.loads((ROOT / "bench" / "results.json").read_text())["variants"]
print({name: f"{v['unzipped_bytes'] / 1e6:.0f} MB" for name, v in variants.items()}, "limit 262 MB")

# %% [markdown]
# So we train on what the API will send: an object array (numbers *and* the origin's text) in
# `FEATURE_NAMES` order, `None` where a value is unknown. `training_data()` drops the cars without mpg:

# %%
X, y = training_data(cars)
print(f"X: {X.shape[0]} cars × {X.shape[1]} features, dtype {X.dtype}; y: {y.shape[0]} mpg values")
X[pd.isna(X[:, FEATURE_NAMES.index("horsepower")])]  # the cars whose horsepower is unknown

# %% [markdown]
# ## 2. Preprocessing inside the pipeline
#
# Models need numbers without gaps. `preprocessing()` prepares the columns **by position**: the
# numeric ones (`NUMERIC`) get gaps filled with the column's median (`SimpleImputer`) and are
# standardised so no column dominates because of its unit; the origin becomes one column per
# region (`OneHotEncoder`). As a step of the model, the imputer learns the medians in training
# and applies them at prediction time, whoever calls. Our car, and the same car with its
# horsepower unknown, after preprocessing:

# %%
prep = preprocessing().fit(X)
regions = prep.named_transformers_["origin"].categories_[0]
columns = [FEATURE_NAMES[i] for i in NUMERIC] + [f"origin={r}" for r in regions]
rows = np.array([to_row(car), to_row({**car, "horsepower": None})], dtype=object)
pd.DataFrame(prep.transform(rows), columns=columns, index=["as sent", "horsepower null"]).round(2)

# %% [markdown]
# The second row's horsepower became the training median (standardised): what the API does for
# `"horsepower": null`, for free.
#
# ## 3. Keep a test set aside
#
# We will try several models and pick one; judged on the data we choose with, the winner's score
# would be optimistic. So a fifth of the cars form a **test set** that we look at once, at the
# end. The seed makes the split the same for everyone.

# %%
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
print(f"{len(y_train)} cars to train and choose on, {len(y_test)} cars to test on")

# %% [markdown]
# ## 4. Compare models with cross-validation
#
# One split is a noisy judge. **Cross-validation** splits the training cars into 5 folds, trains on
# 4 and measures on the fifth, five times over: every car is predicted by a model that did not see
# it. The score: **mean absolute error (MAE)**, how many mpg a prediction is off on average.

# %%
cv = KFold(5, shuffle=True, random_state=SEED)
ridge = candidates()["ridge (degree 2)"]
scores = -cross_val_score(ridge, X_train, y_train, cv=cv, scoring="neg_mean_absolute_error")
print("MAE per fold:", scores.round(2), f"→ mean {scores.mean():.2f} ± {scores.std():.2f} mpg")

# %% [markdown]
# The candidates share the preprocessing and differ in the model at the end: a **baseline** that
# always predicts the average mpg (any real model must beat it by far), **ridge** regression on
# squared and pairwise products of the features (it bends along notebook 01's curves), a **random
# forest** of decision trees, and **gradient boosting** (small trees added one after another).
# Trees ignore units, so they skip the scaling. `compare()` cross-validates each (the bar counts models).

# %%
print({name: " → ".join(pipeline.named_steps) for name, pipeline in candidates().items()})
cv_table = compare(X_train, y_train)
cv_table.round(2)

# %%
colours = ["tab:green"] + ["tab:gray"] * (len(cv_table) - 1)  # the best in green
ax = cv_table["cv_mae"].plot.barh(xerr=cv_table["cv_mae_std"], capsize=4, color=colours, figsize=(8, 3))
ax.invert_yaxis()  # best on top
ax.set(xlabel="cross-validated MAE (mpg, lower is better)", title="Every real model beats the baseline")
plt.show()

# %% [markdown]
# The error bars are the standard deviation across folds: smaller differences could be luck.
# We still need one model, so we take the best mean.
#
# ## 5. Fit the best model and test it, once

# %%
best_name = cv_table.index[0]
model = candidates()[best_name].fit(X_train, y_train)
predicted = model.predict(X_test)
test_mae = mean_absolute_error(y_test, predicted)
test_r2 = r2_score(y_test, predicted)
print(f"{best_name}: held-out MAE {test_mae:.2f} mpg, R² {test_r2:.3f}")
if test_r2 < 0.8:  # R²: the share of mpg's variation the model explains (0: no better than the mean)
    raise RuntimeError(f"R² {test_r2:.3f} is too low to ship")

# %%
# Where the model errs: a perfect model puts every car on the diagonal (left); the residuals
# (actual − predicted, right) should scatter around zero without a pattern.
test_origins = X_test[:, FEATURE_NAMES.index("origin")]
residuals = y_test - predicted
fig, (left, right) = plt.subplots(1, 2)
for origin, colour in ORIGINS.items():
    mask = test_origins == origin
    left.scatter(y_test[mask], predicted[mask], s=14, color=colour, label=origin)
    right.scatter(predicted[mask], residuals[mask], s=14, color=colour, label=origin)
limits = [min(y_test.min(), predicted.min()) - 1, max(y_test.max(), predicted.max()) + 1]
left.plot(limits, limits, color="black", linestyle="--", linewidth=1, label="perfect")
left.set(xlim=limits, ylim=limits, xlabel="actual mpg", ylabel="predicted mpg", title="Held-out cars")
left.legend()
right.axhline(0, color="black", linestyle="--", linewidth=1)
right.set(xlabel="predicted mpg", ylabel="actual − predicted (mpg)", title="Residuals")
plt.show()
worst = int(np.argmax(np.abs(residuals)))
print(f"within 2 mpg: {np.mean(np.abs(residuals) <= 2):.0%}; mpg {y_test.min():.1f} to {y_test.max():.1f}")
print("biggest miss:", dict(zip(FEATURE_NAMES, X_test[worst], strict=True)), end=" ")
print(f"{y_test[worst]:.1f} mpg, predicted {predicted[worst]:.1f}")

# %% [markdown]
# No obvious pattern in the residuals; the biggest miss (printed above) is among the most
# economical cars: a forest predicts averages of training cars, so it never goes beyond the
# extremes it has seen. Remember that when someone asks about a modern hybrid.
#
# ## 6. Save the model as a verified artifact
#
# `save_model()` writes three files into a directory: `make model` into `models/cars`, which the
# API loads, and this notebook into a directory of its own, `artifact_dir`:
#
# - `model.joblib`: the fitted scikit-learn pipeline, pickled (the API with `MODEL_FORMAT=sklearn`);
# - `model.json`: the same model **exported** (format `portable-v2`) for `portable_model.py` to
#   evaluate in pure Python: what Lambda runs, with no scikit-learn or numpy to import, no pickle;
# - `manifest.json`: each file's sha256, the features, versions and metrics. Its `model_id` (the
#   start of `model.json`'s sha256) names the model in every API response.

# %%
metrics = {"cv_mae": cv_table.loc[best_name, "cv_mae"], "test_mae": test_mae, "test_r2": test_r2}
metrics = {k: round(float(v), 4) for k, v in metrics.items()} | {"n_train": len(y_train)}
metrics["n_test"] = len(y_test)
artifact_dir = Path(tempfile.mkdtemp(prefix="cars-model-"))  # the API's models/cars stays as it is
manifest = save_model(model, artifact_dir, best_name, metrics)
print({path.name: f"{path.stat().st_size / 1e6:.2f} MB" for path in sorted(artifact_dir.iterdir())})
print(json.dumps({k: manifest[k] for k in ("model", "model_id", "features", "files")}, indent=1))

# %% [markdown]
# Inside `model.json`: the preprocessing as lists of numbers, then the model. A forest's nodes,
# all trees together, are **packed**: one array per field (children, feature, threshold, leaf
# value), each the base64 of its little-endian bytes (`workshop_app.artifacts.pack`): one JSON
# parse and a few base64 decodes load them, exactly, faster than JSON lists of the same numbers.
# Then `load_model()`, as the API loads a model: both formats predict the same mpg.

# %%
document = json.loads((artifact_dir / "model.json").read_bytes())
print("format", document["format"], "· kind", document["model"]["kind"], "· keys", list(document))
print("preprocess:", json.dumps(document["preprocess"])[:160], "…")
nodes = document["model"].get("nodes", {})  # a forest's or boosting's (a linear model has none)
for field, packed in nodes.items():
    print(f"  nodes.{field:9} {packed[:20]}… → {unpack(packed, NODE_ARRAYS[field])[:3].tolist()}…")
unpack_all = lambda: {f: unpack(packed, NODE_ARRAYS[f]) for f, packed in nodes.items()}  # noqa: E731
as_lists = json.dumps({field: values.tolist() for field, values in unpack_all().items()})
ms = [1e3 * min(timeit.repeat(f, number=1, repeat=5)) for f in (unpack_all, lambda: json.loads(as_lists))]
print(f"all nodes unpacked in {ms[0]:.1f} ms; as JSON lists of numbers, they parse in {ms[1]:.1f} ms")
portable = load_model(str(artifact_dir))  # the default: model.json
pickled = load_model(str(artifact_dir), fmt="sklearn")  # model.joblib
rows = [to_row(car), *X_test.tolist()]
gap = max(abs(a - b) for a, b in zip(portable.predict(rows), pickled.predict(rows), strict=True))
print(f"model_id {portable.model_id}: {len(rows)} cars, largest difference {gap:.2f} mpg")

# %% [markdown]
# Why a sha256? A pickle is not data but a program: unpickling runs any code the file names. This
# harmless object shows it; a malicious one could do all the function's role allows.


# %%
class Surprise:
    def __reduce__(self):  # pickle's hook: "to rebuild me, call print(...)"
        return print, ("this line ran while unpickling; it could have been any code",)


pickle.loads(pickle.dumps(Surprise()))

# %% [markdown]
# So `load_model()` hashes the file's bytes and compares them with the manifest's sha256 (and, in
# a deployment, with the digest pinned in `MODEL_SHA256`) **before** it parses or unpickles
# anything, and refuses a model whose features or scikit-learn version do not match. The portable
# JSON runs no code, but a changed one could predict nonsense. A copy with one byte flipped:

# %%
with tempfile.TemporaryDirectory() as tmp:
    copy = shutil.copytree(artifact_dir, Path(tmp) / "cars")
    data = (copy / "model.joblib").read_bytes()
    (copy / "model.joblib").write_bytes(data[:999] + bytes([data[999] ^ 0xFF]) + data[1000:])
    try:
        load_model(str(copy), fmt="sklearn")
    except ModelUnavailable as e:
        print("refused:", str(e).replace(tmp, "<tmp>"))

# %% [markdown]
# ## Exercises
#
# Answer in the cell under each exercise, then run the **check** cell: it says what is wrong, or ✔.
#
# ### Exercise 1: how good is "no model at all"?
#
# Predict the **mean mpg of the training cars** for every test car, and store the MAE of those
# predictions on the test cars in `baseline_mae` (a positive number of mpg). How many times
# smaller is `test_mae`?
#
# <details><summary>Hint</summary>
#
# `np.full(len(y_test), y_train.mean())` is one prediction per test car; `mean_absolute_error(y_test,
# predictions)` scores them. Use the *training* mean: the test set is for measuring only.
# </details>

# %% tags=["solution"]
# Exercise 1: set baseline_mae to the test MAE of always predicting the training cars' mean mpg.

baseline_mae = mean_absolute_error(y_test, np.full(len(y_test), y_train.mean()))
print(f"baseline {baseline_mae:.2f} mpg, {best_name} {test_mae:.2f} mpg")

# %% tags=["check"]
# extra code – checks your answer to exercise 1
from workshop.exercise import answer, check

mae = answer("baseline_mae", globals())
check(np.ndim(mae) == 0 and mae > 0, f"baseline_mae should be one positive number of mpg, not {mae!r}")
leaked = mean_absolute_error(y_test, np.full(len(y_test), y_test.mean()))
check(not np.isclose(mae, leaked), "that is the test cars' mean: predict y_train's, what a model may learn")
expected = mean_absolute_error(y_test, np.full(len(y_test), y_train.mean()))
ok = f"baseline MAE {mae:.2f} mpg: the model's errors are {mae / test_mae:.1f}× smaller"
check(np.isclose(mae, expected), f"{mae:.2f} mpg is not the MAE of predicting y_train.mean()", ok=ok)

# %% [markdown]
# ### Exercise 2: one more candidate
#
# A **k-nearest-neighbours** regressor predicts the average mpg of the k most similar training
# cars. Cross-validate a pipeline of `preprocessing()` and `KNeighborsRegressor(n_neighbors=5)`
# exactly like the ridge model above (same `cv`, same training cars) and store its mean MAE (in
# mpg, positive) in `knn_cv_mae`. Where does it rank in `cv_table`? *Bonus:* try
# `preprocessing(scale=False)`. Why does k-NN care about scaling when trees do not?
#
# <details><summary>Hint</summary>
#
# `make_pipeline` (`sklearn.pipeline`) chains the steps; `KNeighborsRegressor` is in
# `sklearn.neighbors`. `cross_val_score(..., scoring="neg_mean_absolute_error")` returns one
# negative MAE per fold: flip the sign and take the mean.
# </details>

# %% tags=["solution"]
# Exercise 2: set knn_cv_mae to the mean cross-validated MAE of a k-NN pipeline.

from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline

knn = make_pipeline(preprocessing(), KNeighborsRegressor(n_neighbors=5))
knn_cv_mae = -cross_val_score(knn, X_train, y_train, cv=cv, scoring="neg_mean_absolute_error").mean()
unscaled = make_pipeline(preprocessing(scale=False), KNeighborsRegressor(n_neighbors=5))
unscaled_mae = -cross_val_score(unscaled, X_train, y_train, cv=cv, scoring="neg_mean_absolute_error").mean()
print(f"k-NN: {knn_cv_mae:.2f} mpg scaled, {unscaled_mae:.2f} mpg unscaled")

# %% tags=["check"]
# extra code – checks your answer to exercise 2
from workshop.exercise import answer, check

mae = answer("knn_cv_mae", globals())
check(np.ndim(mae) == 0 and mae > 0, "knn_cv_mae should be one positive number: the mean MAE over the folds")
check(mae < cv_table.loc["baseline (mean)", "cv_mae"], "k-NN should beat predicting the mean")
rank = int((cv_table["cv_mae"] < mae).sum()) + 1
check(mae < 2.6, f"{mae:.2f} mpg is worse than expected: kept the scaling?", ok=f"{mae:.2f} mpg, rank {rank}")

# %% [markdown] tags=["solution"]
# k-NN measures similarity as a distance between rows. Unscaled, weight (thousands of pounds)
# dwarfs everything else, so "nearest" means "closest in weight": the MAE gets worse (printed
# above). Trees split one feature at a time, comparing values within a column: units do not matter.

# %% [markdown]
# ### Exercise 3: verify an artifact yourself
#
# Write the function `verify`, the check `load_model()` makes before it trusts a byte:
# `verify(directory)` reads `directory/manifest.json` and returns the names of the files it lists
# (under `"files"`, each `{"name": ..., "sha256": ...}`) that are missing or whose bytes have
# another sha256. An intact artifact gives `[]`.
#
# <details><summary>Hint</summary>
#
# `json.loads((Path(directory) / "manifest.json").read_text())["files"].values()` are the entries;
# `hashlib.sha256(path.read_bytes()).hexdigest()` is a file's digest (check `path.is_file()` first).
# </details>

# %% tags=["solution"]
# Exercise 3: write verify(directory) returning the listed files that are missing or changed.


def verify(directory) -> list[str]:
    manifest = json.loads((Path(directory) / "manifest.json").read_text())
    bad = []
    for entry in manifest["files"].values():
        path = Path(directory) / entry["name"]
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            bad.append(entry["name"])
    return bad


verify(artifact_dir)

# %% tags=["check"]
# extra code – checks your answer to exercise 3
from workshop.exercise import answer, check

mine = answer("verify", globals())
check(callable(mine) and mine(artifact_dir) == [], "verify(artifact_dir) should be [] (it is intact)")
with tempfile.TemporaryDirectory() as tmp:
    copy = shutil.copytree(artifact_dir, Path(tmp) / "cars")
    (copy / "model.json").write_bytes((copy / "model.json").read_bytes().replace(b'"', b"'", 1))
    check(mine(copy) == ["model.json"], f"with model.json changed it gave {mine(copy)!r}, not ['model.json']")
    (copy / "model.joblib").unlink()
    found = sorted(mine(copy))
    check(
        found == ["model.joblib", "model.json"],
        f"with model.joblib gone too it gave {found!r}",
        ok="verified",
    )

# %% [markdown]
# ## Key points
#
# - Train on what production will send: an array in `FEATURE_NAMES` order, no pandas.
# - Put imputation and encoding **inside** the pipeline, so training and serving cannot disagree.
# - Choose between models with cross-validation on the training set; touch the test set once.
# - Always compare with a baseline, and look at the errors, not just their average.
# - An artifact: model, portable export, manifest. Check each sha256 before loading, above all a pickle.
