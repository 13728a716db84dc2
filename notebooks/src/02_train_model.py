# %% [markdown]
# # 02 · Train the mpg model
#
# We turn notebook 01's findings into a model that predicts a car's miles per gallon, check how
# good it is on cars it has never seen, and save it as an artifact that the API (notebook 03) and
# the Lambda function can load safely.
#
# **What you will learn**
#
# - why the model takes a plain array of values in a fixed order, not a pandas DataFrame;
# - how a pipeline handles missing values and text columns, so that training and serving agree;
# - how to compare models fairly with cross-validation, and why we keep a test set aside;
# - how to read a model's errors: MAE, R², predicted-vs-actual and residual plots;
# - what goes into a model artifact, and why its sha256 is checked before it is loaded.
#
# **Teaching:** 25 min · **Exercises:** 15 min
#
# The building blocks live in `workshop/train_cars.py`; `make model` (or
# `python -m workshop.train_cars`) runs the same steps without a notebook.

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again: it only imports and loads.

# %%
import json
import pickle
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold, cross_val_score, train_test_split

from workshop import CARS_MODEL_DIR, ROOT
from workshop.cars_data import load_cars
from workshop.train_cars import (
    CATEGORICAL,
    NUMERIC,
    SEED,
    candidates,
    compare,
    preprocessing,
    save_model,
    training_data,
)
from workshop_app.car_model import ModelUnavailable, load_model
from workshop_app.car_schema import FEATURE_NAMES, example_car, to_row

plt.rcParams.update({"figure.figsize": (11, 4), "axes.grid": True, "grid.alpha": 0.3})
ORIGINS = {"USA": "tab:blue", "Europe": "tab:orange", "Japan": "tab:green"}
cars = load_cars()

# %% [markdown]
# ## 1. What the model will be asked
#
# In production, nobody hands our model a DataFrame. A client sends JSON to the API:

# %%
car = example_car()
print(json.dumps(car, indent=2))

# %% [markdown]
# The API validates it and turns it into one row of values, in the order `FEATURE_NAMES` lists
# them (the name is a label for people, not a feature):

# %%
print(FEATURE_NAMES)
to_row(car)  # what the API passes to model.predict([...])

# %% [markdown]
# Why not a DataFrame? The deployed Lambda function must fit in 262,144,000 bytes unzipped.
# numpy, scipy and scikit-learn already take about 280 MB before trimming (about 213 MB
# after); adding pandas makes it about 360 MB. So the deployed code **cannot import pandas**,
# and the model must work on a plain array. If we trained on a DataFrame and chose columns by
# name, the fitted model would expect a DataFrame at prediction time too.
#
# So we train on exactly what the API will send: an object array (numbers *and* the origin's
# text) in `FEATURE_NAMES` order, with `None` where a value is unknown. `training_data()` builds
# it, dropping the 8 cars without mpg:

# %%
X, y = training_data(cars)
print(f"X: {X.shape[0]} cars × {X.shape[1]} features, dtype {X.dtype}; y: {y.shape[0]} mpg values")
X[:3]

# %%
HORSEPOWER = FEATURE_NAMES.index("horsepower")
X[[row[HORSEPOWER] is None for row in X]]  # the cars whose horsepower is unknown

# %% [markdown]
# ## 2. Preprocessing inside the pipeline
#
# Models need numbers without gaps. `preprocessing()` prepares the columns **by position**:
#
# - numeric columns (`NUMERIC`): fill a missing value with the column's median (`SimpleImputer`),
#   then standardise (mean 0, standard deviation 1) so no column dominates because of its unit;
# - the origin (`CATEGORICAL`): one column per region, 1 for the car's region (`OneHotEncoder`).
#   `handle_unknown="ignore"` means an unseen region becomes all zeros instead of an error; the
#   API's validation makes sure that never happens.

# %%
print("numeric columns:    ", [FEATURE_NAMES[i] for i in NUMERIC])
print("categorical columns:", [FEATURE_NAMES[i] for i in CATEGORICAL])
preprocessing()

# %% [markdown]
# Because the imputer is a step of the model, it learns the medians from the training data and
# applies them at prediction time, whoever calls. Here is our example car, and the same car with
# its horsepower unknown, after preprocessing:

# %%
prep = preprocessing().fit(X)
medians = prep.named_transformers_["numeric"].named_steps["simpleimputer"].statistics_
print("medians learned:", {FEATURE_NAMES[i]: float(m) for i, m in zip(NUMERIC, medians, strict=True)})
regions = prep.named_transformers_["origin"].categories_[0]
columns = [FEATURE_NAMES[i] for i in NUMERIC] + [f"origin={r}" for r in regions]
rows = np.array([to_row(car), to_row({**car, "horsepower": None})], dtype=object)
pd.DataFrame(prep.transform(rows), columns=columns, index=["as sent", "horsepower null"]).round(2)

# %% [markdown]
# The second row's horsepower became the training median (standardised); everything else is the
# same. This is the behaviour the API gets for `"horsepower": null`, for free.
#
# ## 3. Keep a test set aside
#
# We will try several models and pick one. If we judged them on the data we also use to choose,
# the winner's score would be optimistic. So 20 % of the cars go into a **test set** that we look
# at once, at the very end. The seed makes the split the same for everyone.

# %%
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
print(f"{len(y_train)} cars to train and choose on, {len(y_test)} cars to test on")

# %% [markdown]
# ## 4. Compare models with cross-validation
#
# One split of 318 cars is a noisy judge. **Cross-validation** splits the training cars into 5
# folds, trains on 4 and measures on the fifth, five times over, so every car is predicted once
# by a model that did not see it. We score by **mean absolute error (MAE)**: how many mpg the
# prediction is off, on average. For one model:

# %%
cv = KFold(5, shuffle=True, random_state=SEED)
ridge = candidates()["ridge (degree 2)"]
scores = -cross_val_score(ridge, X_train, y_train, cv=cv, scoring="neg_mean_absolute_error")
print("MAE per fold:", scores.round(2), f"→ mean {scores.mean():.2f} ± {scores.std():.2f} mpg")

# %% [markdown]
# The candidates share the preprocessing and differ in the model at the end:
#
# - **baseline (mean)** always predicts the average mpg. Any real model must beat it by far;
# - **ridge (degree 2)** is a linear model on squared and pairwise products of the features,
#   which lets it bend along the curves we saw in notebook 01;
# - **random forest** averages 200 decision trees, each trained on a resample of the cars;
# - **gradient boosting** adds small trees one after another, each correcting the last.
#
# (Trees do not care about units, so their pipelines skip the scaling.) `compare()` runs the same
# cross-validation for each; the progress bar counts models.

# %%
for name, pipeline in candidates().items():
    print(f"{name:18} {' → '.join(pipeline.named_steps)}")

# %%
cv_table = compare(X_train, y_train)
cv_table.round(2)

# %%
fig, ax = plt.subplots(figsize=(8, 3))
ax.barh(
    cv_table.index,
    cv_table["cv_mae"],
    xerr=cv_table["cv_mae_std"],
    capsize=4,
    color=["tab:green"] + ["tab:gray"] * (len(cv_table) - 1),
)
ax.invert_yaxis()  # best on top
ax.set(
    xlabel="cross-validated MAE (mpg, lower is better)",
    title="Every real model beats the baseline; the best three are close",
)
plt.show()

# %% [markdown]
# The error bars are the standard deviation across folds: differences smaller than that could
# be luck. We still need one model, so we take the best mean.
#
# ## 5. Fit the best model and test it, once

# %%
best_name = cv_table.index[0]
model = candidates()[best_name].fit(X_train, y_train)
predicted = model.predict(X_test)
test_mae = mean_absolute_error(y_test, predicted)
test_r2 = r2_score(y_test, predicted)
print(f"{best_name}: held-out MAE {test_mae:.2f} mpg, R² {test_r2:.3f}")

# %% [markdown]
# R² is the fraction of the variation in mpg that the model explains (1 is perfect, 0 is no
# better than the mean). We want a clear margin before we ship:

# %%
assert test_r2 > 0.8, f"R² {test_r2:.3f} is too low to ship"

# %% [markdown]
# Numbers summarise; plots show *where* the model errs. On the left, a perfect model would put
# every car on the diagonal. On the right, the residual (actual − predicted) should scatter
# around zero without a pattern.

# %%
test_origins = X_test[:, FEATURE_NAMES.index("origin")]
residuals = y_test - predicted
fig, (left, right) = plt.subplots(1, 2)
for origin, colour in ORIGINS.items():
    mask = test_origins == origin
    left.scatter(y_test[mask], predicted[mask], s=14, color=colour, label=origin)
    right.scatter(predicted[mask], residuals[mask], s=14, color=colour, label=origin)
limits = [min(y_test.min(), predicted.min()) - 1, max(y_test.max(), predicted.max()) + 1]
left.plot(limits, limits, color="black", linestyle="--", linewidth=1, label="perfect")
left.set(
    xlim=limits,
    ylim=limits,
    xlabel="actual mpg",
    ylabel="predicted mpg",
    title=f"Held-out cars: MAE {test_mae:.2f} mpg, R² {test_r2:.2f}",
)
left.legend()
right.axhline(0, color="black", linestyle="--", linewidth=1)
right.set(xlabel="predicted mpg", ylabel="actual − predicted (mpg)", title="Residuals")
plt.show()

# %% [markdown]
# Most cars sit within about 2 mpg of the diagonal, with no obvious pattern in the residuals.
# The biggest miss is the most economical test car, a 1982 VW pickup (44 mpg, predicted about
# 38): a forest predicts averages of training cars, so it never goes beyond the extremes it has
# seen and is cautious at the edges of the data. Remember that when someone asks about a modern
# hybrid.
#
# ## 6. Save the model as a verified artifact
#
# `save_model()` writes the model to `models/cars`, the directory the API loads from:
#
# - `model.joblib`: the fitted scikit-learn pipeline, pickled. Notebooks use it (and the API
#   does with `MODEL_FORMAT=sklearn`).
# - `model.json`: the same model exported as plain numbers (medians, scales, tree thresholds
#   and leaf values) that `workshop_app/portable_model.py` evaluates in pure Python. This is
#   what the API uses by default and what Lambda runs: no scikit-learn, numpy or scipy to import
#   on a cold start, and no pickle.
# - `manifest.json`: what the files are: each one's sha256, the features in order, the versions
#   it was trained with and the metrics. Its `model_id` (the start of `model.json`'s sha256)
#   names this model in every API response.

# %%
metrics = {
    "cv_mae": round(float(cv_table.loc[best_name, "cv_mae"]), 4),
    "test_mae": round(float(test_mae), 4),
    "test_r2": round(float(test_r2), 4),
    "n_train": len(y_train),
    "n_test": len(y_test),
}
manifest = save_model(model, CARS_MODEL_DIR, best_name, metrics)
for path in sorted(CARS_MODEL_DIR.iterdir()):
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.2f} MB")
print(json.dumps(manifest, indent=2))

# %% [markdown]
# `load_model()` is how the API loads a model. Both formats predict the same mpg:

# %%
portable = load_model(str(CARS_MODEL_DIR))  # the default: model.json
pickled = load_model(str(CARS_MODEL_DIR), fmt="sklearn")  # model.joblib
rows = [to_row(car), *X_test.tolist()]
gap = max(abs(a - b) for a, b in zip(portable.predict(rows), pickled.predict(rows), strict=True))
print(f"model_id {portable.model_id}: {len(rows)} cars, largest difference {gap:.2f} mpg")

# %% [markdown]
# Why record a sha256 at all? A pickle is not data, it is a program: unpickling can run any code
# the file names. This harmless object shows it; a malicious model file could do anything the
# Lambda function's role allows.


# %%
class Surprise:
    def __reduce__(self):  # pickle's hook: "to rebuild me, call print(...)"
        return print, ("this line ran while unpickling; it could have been any code",)


pickle.loads(pickle.dumps(Surprise()))

# %% [markdown]
# So `load_model()` reads the manifest, hashes the model file's bytes and compares them with the
# recorded sha256 (and, in a deployment, with a digest pinned in the `MODEL_SHA256` setting)
# **before** it loads anything: a pickle is only unpickled once its bytes are the ones that were
# trained. It also refuses a model whose features or scikit-learn version do not match. The
# portable JSON cannot run code, but a changed file could still predict nonsense, so it is
# checked the same way. Here is a copy whose pickle was changed after training (one byte
# flipped):

# %%
with tempfile.TemporaryDirectory() as tmp:
    copy = Path(tmp) / "cars"
    shutil.copytree(CARS_MODEL_DIR, copy)
    data = bytearray((copy / "model.joblib").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "model.joblib").write_bytes(bytes(data))
    try:
        load_model(str(copy), fmt="sklearn")
    except ModelUnavailable as e:
        print("refused:", str(e).replace(tmp, "<tmp>"))

# %% [markdown]
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
#
# ### Exercise 1: one more candidate
#
# A **k-nearest-neighbours** regressor predicts the average mpg of the k most similar training
# cars. Build a pipeline of `preprocessing()` followed by
# `sklearn.neighbors.KNeighborsRegressor(n_neighbors=5)`, cross-validate it exactly like the
# ridge model above (same `cv`, same training cars) and store its mean MAE, a positive number of
# mpg, in `knn_cv_mae`. Where does it rank in `cv_table`?
#
# *Bonus:* try `preprocessing(scale=False)`. Why does k-NN care about scaling when trees do not?

# %% tags=["solution"]
# Exercise 1: set knn_cv_mae to the mean cross-validated MAE of a k-NN pipeline.

from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline

knn = make_pipeline(preprocessing(), KNeighborsRegressor(n_neighbors=5))
knn_scores = -cross_val_score(knn, X_train, y_train, cv=cv, scoring="neg_mean_absolute_error")
knn_cv_mae = knn_scores.mean()

unscaled = make_pipeline(preprocessing(scale=False), KNeighborsRegressor(n_neighbors=5))
unscaled_mae = -cross_val_score(unscaled, X_train, y_train, cv=cv, scoring="neg_mean_absolute_error").mean()
print(f"k-NN: {knn_cv_mae:.2f} mpg scaled, {unscaled_mae:.2f} mpg unscaled")

# %% tags=["check"]
# extra code – checks your answer to exercise 1
assert np.ndim(knn_cv_mae) == 0, "knn_cv_mae should be one number: the mean over the folds"
assert knn_cv_mae > 0, "scores are negative MAEs: flip the sign"
baseline = cv_table.loc["baseline (mean)", "cv_mae"]
assert knn_cv_mae < baseline, "k-NN should beat predicting the mean"
assert knn_cv_mae < 2.6, "that is worse than expected: did you keep the scaling step?"
rank = int((cv_table["cv_mae"] < knn_cv_mae).sum()) + 1
print(f"Correct: k-NN's CV MAE is {knn_cv_mae:.2f} mpg, rank {rank} of {len(cv_table) + 1}")

# %% [markdown] tags=["solution"]
# k-NN measures similarity as a distance between rows. Unscaled, weight (thousands of pounds)
# dwarfs everything else, so "nearest" means "closest in weight" and the other features barely
# count: the MAE gets about 1 mpg worse. Trees split one feature at a time and compare values
# only with others of the same column, so units do not matter to them.

# %% [markdown]
# ### Exercise 2: is the model fair to every origin?
#
# Compute the model's **MAE on the test cars of each origin**, as a pandas Series indexed by
# origin, and store it in `mae_by_origin`. `y_test`, `predicted` and `test_origins` are
# aligned arrays. Is the model equally good for American, European and Japanese cars?

# %% tags=["solution"]
# Exercise 2: set mae_by_origin to the held-out MAE per origin.

abs_errors = pd.Series(np.abs(y_test - predicted))
mae_by_origin = abs_errors.groupby(test_origins).mean()
pd.DataFrame({"MAE (mpg)": mae_by_origin.round(2), "test cars": pd.Series(test_origins).value_counts()})

# %% tags=["check"]
# extra code – checks your answer to exercise 2
assert isinstance(mae_by_origin, pd.Series), "mae_by_origin should be a pandas Series"
test_counts = pd.Series(test_origins).value_counts()
assert set(mae_by_origin.index) == set(test_counts.index), "index it by origin"
weighted = (mae_by_origin * test_counts).sum() / test_counts.sum()
assert np.isclose(weighted, test_mae), (
    "weighted by their number of test cars, the per-origin MAEs should average to test_mae"
)
print("Correct:", ", ".join(f"{o} {m:.2f}" for o, m in mae_by_origin.sort_values().items()))

# %% [markdown] tags=["solution"]
# European cars get the largest errors here, but Europe and Japan have only 13–14 test cars
# each: one or two big misses (like the VW pickup) move their MAE a lot. Before calling the
# model unfair to an origin, measure it on more cars, for example with cross-validated
# predictions (`sklearn.model_selection.cross_val_predict`) over the whole training set.

# %% [markdown]
# ## Key points
#
# - Train on what production will send: an array in `FEATURE_NAMES` order, no pandas. The
#   deployed Lambda function cannot afford pandas.
# - Put imputation and encoding **inside** the pipeline, so training and serving cannot disagree.
# - Choose between models with cross-validation on the training set; touch the test set once.
# - Always compare with a baseline, and look at the errors, not just their average.
# - An artifact is the model plus a manifest; verify its sha256 before loading it, above all
#   before unpickling, because unpickling runs code. Lambda runs a pure-Python export instead.
