# %% [markdown]
# # 01 · Explore the cars
#
# Before we train anything, we look at the data the model will learn from: 406 cars from the
# 1970s and early 1980s (the classic *Auto MPG* data set), each with its fuel economy in miles per
# gallon (**mpg**) and seven facts about the car.
#
# **What you will learn**
#
# - what each column holds, in which units, and which values are missing (and why that matters
#   for a model that will serve requests from strangers);
# - how mpg relates to weight, power, engine size, model year, cylinders and origin;
# - which findings shape the model we train in notebook 02;
# - in the exercises: grouped statistics, a frame ready to plot, and filling missing values on
#   purpose rather than by accident.
#
# **Prerequisites:** none before this lesson; basic Python and a first look at pandas
# (`groupby`, boolean masks). Run it in the workshop's environment (`make lab`).
#
# **Teaching:** 15 min · **Exercises:** 20 min

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again: it only imports and loads.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workshop import ROOT
from workshop.cars_data import CSV, TARGET, load_cars

pd.set_option("display.max_columns", 20, "display.width", 120)
plt.rcParams.update({"figure.figsize": (11, 3.8), "axes.grid": True, "grid.alpha": 0.3})
ORIGINS = {"USA": "tab:blue", "Europe": "tab:orange", "Japan": "tab:green"}  # and their colours

cars = load_cars()
print(f"{len(cars)} cars from {CSV.relative_to(ROOT)}")

# %% [markdown]
# ## 1. A first look
#
# `load_cars()` reads `data/cars.csv`, which `python -m workshop.cars_data` exported from the
# `vega_datasets` package (no download needed). Every row is one car model:

# %%
cars.head()

# %% [markdown]
# | column | meaning | unit |
# |---|---|---|
# | `car_id` | our stable id, 1–406 | |
# | `name` | make and model | |
# | `mpg` | fuel economy: **the target** | US miles per gallon |
# | `cylinders` | number of cylinders | |
# | `displacement` | engine size | cubic inches |
# | `horsepower` | engine power | hp |
# | `weight` | kerb weight | pounds |
# | `acceleration` | time from 0 to 60 mph | seconds |
# | `year` | model year | 1970–1982 |
# | `origin` | region of manufacture | USA, Europe, Japan |
#
# The units matter later: a caller who sends `"year": 71` (the original UCI file writes years
# that way) gets a confident, meaningless answer unless the API checks that years look like
# years. `info()` shows the type pandas gave each column and how many values it holds:

# %%
cars.info()

# %% [markdown]
# Why a `car_id`? Names are not unique, so they cannot identify a row (the most frequent ones):

# %%
print(cars["name"].value_counts().head(3).to_dict())
cars.describe().round(1)

# %% [markdown]
# ## 2. Missing values
#
# `describe()` counts 398 mpg values and 400 horsepower values, not 406. Count the gaps:

# %%
cars.isna().sum()

# %% [markdown]
# Eight cars have **no mpg**. The target is what a model learns from, so these rows cannot be
# used for training or evaluation; we drop them (and do not invent an answer for them).

# %%
cars[cars[TARGET].isna()]

# %% [markdown]
# Six cars have **no horsepower**. Their other columns are fine and they do have an mpg, so we
# keep them and fill the gap with a typical value (*impute* it) *inside* the model pipeline, not
# in this table: callers of our API will also send cars whose horsepower they do not know
# (`"horsepower": null`), and the deployed model must handle them the same way.

# %%
cars[cars["horsepower"].isna()]

# %% [markdown]
# ## 3. The target: miles per gallon

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(cars[TARGET].dropna(), bins=30, color="tab:gray", edgecolor="white")
median = cars[TARGET].median()
ax.axvline(median, color="black", linestyle="--", label=f"median {median:.1f} mpg")
ax.set(xlabel="miles per gallon", ylabel="number of cars", title="Fuel economy of the cars with an mpg")
ax.legend()
plt.show()
print(f"mpg from {cars[TARGET].min():.0f} to {cars[TARGET].max():.0f}, {cars[TARGET].count()} cars")

# %% [markdown]
# mpg is skewed to the right: many thirsty cars around 15–20 mpg, a long tail of frugal ones.
# An error of 2 mpg is a lot for a 12 mpg truck and little for a 40 mpg compact.
#
# ## 4. What goes with mpg?
#
# Heavier, more powerful, bigger-engined cars should use more fuel. A picture shows both the
# trend and its shape, which a single number would hide:

# %%
fig, axes = plt.subplots(1, 3, sharey=True)
units = {"weight": "pounds", "horsepower": "hp", "displacement": "cubic inches"}
for ax, (column, unit) in zip(axes, units.items(), strict=True):
    for origin, colour in ORIGINS.items():
        subset = cars[cars["origin"] == origin]
        ax.scatter(subset[column], subset[TARGET], s=10, alpha=0.6, color=colour, label=origin)
    ax.set(xlabel=f"{column} ({unit})")
axes[0].set(ylabel="mpg")
axes[0].legend()
fig.suptitle("mpg falls with weight, power and engine size, along a curve")
plt.show()

# %% [markdown]
# Three things stand out:
#
# - the relationships are strong but **curved**: going from 2,000 to 3,000 lb costs far more mpg
#   than going from 4,000 to 5,000 lb. A straight line will not fit well;
# - the three plots look alike: weight, power and engine size go together;
# - the colours separate: most heavy, powerful cars are American. Origin and size are tangled.
#
# ## 5. Over the years, and by number of cylinders

# %%
fig, (left, right) = plt.subplots(1, 2)
by_year = cars.groupby(["year", "origin"])[TARGET].median().unstack()
for origin, colour in ORIGINS.items():
    left.plot(by_year.index, by_year[origin], marker="o", color=colour, label=origin)
left.set(xlabel="model year", ylabel="median mpg", title="Cars got more economical")
left.legend()

counts = cars["cylinders"].value_counts().sort_index()
groups = [cars.loc[cars["cylinders"] == c, TARGET].dropna() for c in counts.index]
right.boxplot(groups, tick_labels=[f"{c}\n({n} cars)" for c, n in counts.items()])
right.set(xlabel="cylinders", ylabel="mpg", title="Fewer cylinders, more miles")
plt.show()

# %% [markdown]
# After the 1973 oil crisis and the US fuel economy standards (from the 1978 model year), every
# region's cars improved: the **year** carries information that weight alone does not. Four
# cylinders is the most economical common layout; 3- and 5-cylinder cars are rare (a handful
# each), so any pattern for them rests on very few examples.
#
# ## 6. Correlations
#
# The correlation coefficient summarises how well a straight line describes each pair of columns
# (−1 to 1). It misses curves, but it shows at a glance which columns carry the same information.

# %%
# extra code – draws the correlation matrix with its values
numeric = cars.drop(columns=["car_id"]).select_dtypes("number")
corr = numeric.corr()
fig, ax = plt.subplots(figsize=(6.5, 5.5))
image = ax.imshow(corr, cmap="RdBu", vmin=-1, vmax=1)
ax.set_xticks(range(len(corr)), corr.columns, rotation=45, ha="right")
ax.set_yticks(range(len(corr)), corr.columns)
ax.grid(False)
for (i, j), value in np.ndenumerate(corr.to_numpy()):
    ax.text(
        j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color="w" if abs(value) > 0.6 else "k"
    )
fig.colorbar(image, ax=ax, shrink=0.8)
ax.set_title("Correlation between the numeric columns")
plt.show()

# %%
corr[TARGET].drop(TARGET).sort_values()

# %% [markdown]
# ## 7. What this means for the model
#
# - **Drop the 8 cars without mpg**; keep the 6 without horsepower and impute it inside the
#   pipeline, so that an API request with `"horsepower": null` is handled exactly like training
#   data was.
# - The relationships are **non-linear**: tree ensembles, or a linear model on polynomial
#   features, should beat a straight line.
# - Weight, displacement, horsepower and cylinders are **strongly correlated** with each other:
#   fine for prediction, but do not read one coefficient as "the effect of weight".
# - **Year** and **origin** add information; origin is text and needs encoding as numbers.
# - The data covers 1970–1982 cars only. A 2024 hybrid is far outside it: the model will still
#   answer, and the API should at least reject values that cannot be right (a year of `71`).

# %% [markdown]
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it: it
# says what is wrong, or prints ✔.
#
# ### Exercise 1: the most economical origin
#
# Which origin has the **highest median mpg**? Store its name (a string such as `"USA"`) in
# `best_origin`.
#
# <details><summary>Hint</summary>
#
# `cars.groupby("origin")[TARGET]` groups the mpg values by origin; `.median()` gives one number
# per origin, and a Series' `.idxmax()` is the label of its largest value.
# </details>

# %% tags=["solution"]
# Exercise 1: set best_origin to the origin with the highest median mpg.

medians = cars.groupby("origin")[TARGET].median()
best_origin = medians.idxmax()
medians.sort_values(ascending=False)

# %% tags=["check"]
# extra code – checks your answer to exercise 1
from workshop.exercise import answer, check

best = answer("best_origin", globals())
check(isinstance(best, str), f"best_origin should be a string such as 'USA', not {type(best).__name__}")
check(best in ORIGINS, f"{best!r} is not one of {list(ORIGINS)}")
by_origin = cars.groupby("origin")[TARGET].median()
check(
    by_origin[best] == by_origin.max(),
    f"{best} has a median of {by_origin[best]:.1f} mpg; another origin's is higher (median, not mean)",
    ok=f"{best}: median {by_origin[best]:.1f} mpg",
)

# %% [markdown]
# ### Exercise 2: how common are V8s?
#
# For each origin, what **fraction** of its cars have 8 cylinders? Store the answer as a pandas
# Series indexed by origin, with values between 0 and 1, in `eight_cylinder_share`. Then think:
# what does it tell you about comparing origins' mpg directly?
#
# <details><summary>Hint</summary>
#
# The mean of a column of `True`/`False` values is the fraction of `True`. Build the mask
# `cars["cylinders"] == 8`, then group it by `cars["origin"]`.
# </details>

# %% tags=["solution"]
# Exercise 2: set eight_cylinder_share to the fraction of 8-cylinder cars per origin.

eight_cylinder_share = (cars["cylinders"] == 8).groupby(cars["origin"]).mean()
eight_cylinder_share.round(3)

# %% tags=["check"]
# extra code – checks your answer to exercise 2
from workshop.exercise import answer, check

share = answer("eight_cylinder_share", globals())
check(
    isinstance(share, pd.Series) and set(share.index) == set(ORIGINS),
    f"eight_cylinder_share should be a pandas Series indexed by origin ({list(ORIGINS)})",
)
expected = (cars["cylinders"] == 8).groupby(cars["origin"]).mean()
wrong = [o for o in ORIGINS if abs(share[o] - expected[o]) > 1e-9]
check(
    not wrong,
    f"the share for {', '.join(wrong)} is off: count its 8-cylinder cars and divide by all its cars",
    ok=", ".join(f"{o} {v:.0%}" for o, v in share.items()),
)

# %% [markdown] tags=["solution"]
# Only American cars have eight cylinders (see the shares printed above). Part of the gap
# between US and Japanese mpg is therefore a gap in car size, not in engineering: compare cars
# of similar weight before blaming the origin. Exercise 3 does exactly that.

# %% [markdown]
# ### Exercise 3: a frame ready to plot
#
# Compare origins among cars of **similar weight**. Put each car in a weight class: `"light"`
# (under 2,500 lb), `"medium"` (2,500 lb up to, not including, 3,500 lb) and `"heavy"` (3,500 lb
# and more). Build `mpg_by_weight`: a DataFrame with one row per weight class (in that order),
# one column per origin, holding the **median mpg** of those cars (`NaN` where an origin has no
# car of that class). Then draw it as a bar chart: a frame shaped like that is one call away.
#
# <details><summary>Hint</summary>
#
# `pd.cut(cars["weight"], bins=[0, 2500, 3500, float("inf")], right=False,
# labels=["light", "medium", "heavy"])` gives each car's class; group by it and by `"origin"`
# (`observed=False` keeps empty groups), take the median mpg and `.unstack()` the origins into
# columns. `mpg_by_weight.plot.bar()` draws it.
# </details>

# %% tags=["solution"]
# Exercise 3: set mpg_by_weight to the median mpg per weight class (rows) and origin (columns).

bins = [0, 2500, 3500, float("inf")]
weight_class = pd.cut(cars["weight"], bins, right=False, labels=["light", "medium", "heavy"])
mpg_by_weight = cars.groupby([weight_class, "origin"], observed=False)[TARGET].median().unstack()
ax = mpg_by_weight.plot.bar(color=ORIGINS, rot=0, figsize=(7, 3.5))
ax.set(xlabel="weight class", ylabel="median mpg", title="Within a weight class, origins are closer")
plt.show()
mpg_by_weight.round(1)

# %% tags=["check"]
# extra code – checks your answer to exercise 3
from workshop.exercise import answer, check

frame = answer("mpg_by_weight", globals())
check(isinstance(frame, pd.DataFrame), f"mpg_by_weight should be a DataFrame, not {type(frame).__name__}")
got = frame.rename(index=str, columns=str)
check(
    list(got.index) == ["light", "medium", "heavy"] and set(got.columns) == set(ORIGINS),
    f"rows should be light, medium, heavy, columns the origins: not {list(got.index)} × {list(got.columns)}",
)
classes = pd.cut(cars["weight"], [0, 2500, 3500, np.inf], right=False, labels=list(got.index))
expected = cars.groupby([classes, "origin"], observed=False)[TARGET].median().unstack()
check(
    np.allclose(got[expected.columns].astype(float), expected, equal_nan=True),
    "some medians differ: a car of exactly 2,500 lb is medium (right=False); take the median mpg",
    ok="median mpg per weight class and origin",
)

# %% [markdown] tags=["solution"]
# Within a weight class the origins are much closer than their overall medians suggest, and
# there is no heavy Japanese car at all (the `NaN`). Weight explains much of what looked like an
# origin effect; a model that sees both can tell them apart.

# %% [markdown]
# ### Exercise 4: fill the missing horsepower on purpose
#
# The model (notebook 02) will fill a missing horsepower with the median of all cars. A better
# guess uses what we do know: the number of cylinders. Build `horsepower_filled`, a Series with
# the same index as `cars`, that keeps every known horsepower and replaces each missing one with
# the **median horsepower of cars with the same number of cylinders**. Leave `cars` unchanged
# (section 2: the pipeline imputes). How far are the filled values from the overall median?
#
# <details><summary>Hint</summary>
#
# `cars.groupby("cylinders")["horsepower"].transform("median")` gives every car its group's
# median, aligned with `cars`. `Series.fillna(other_series)` fills the gaps from it and returns a
# new Series (it does not change `cars`).
# </details>

# %% tags=["solution"]
# Exercise 4: set horsepower_filled to horsepower with each gap filled by its cylinder group's median.

group_median = cars.groupby("cylinders")["horsepower"].transform("median")
horsepower_filled = cars["horsepower"].fillna(group_median)
gaps = cars["horsepower"].isna()
print(f"overall median: {cars['horsepower'].median():.1f} hp")
cars.loc[gaps, ["name", "cylinders"]].assign(filled=horsepower_filled[gaps])

# %% tags=["check"]
# extra code – checks your answer to exercise 4
from workshop.exercise import answer, check

filled = answer("horsepower_filled", globals())
check(
    isinstance(filled, pd.Series) and filled.index.equals(cars.index),
    "horsepower_filled should be a pandas Series with the same index as cars (one value per car)",
)
check(cars["horsepower"].isna().sum() == 6, "cars itself changed: fill a copy, leave the table's gaps")
check(filled.isna().sum() == 0, f"{filled.isna().sum()} values are still missing")
known = cars["horsepower"].notna()
check((filled[known] == cars.loc[known, "horsepower"]).all(), "a known horsepower changed: fill gaps only")
group = cars.groupby("cylinders")["horsepower"].median()
off = [cars.at[i, "name"] for i in cars.index[~known] if filled[i] != group[cars.at[i, "cylinders"]]]
check(
    not off,
    f"{', '.join(off)}: use the median of cars with the same number of cylinders, not of all cars",
    ok="six gaps filled from their cylinder group's median",
)

# %% [markdown] tags=["solution"]
# Most of the six are 4-cylinder cars, whose median horsepower is far below the overall median
# printed above: the overall median overstates their power. Notebook 02's pipeline keeps the
# simple median, as six cars barely move its errors; with many gaps, impute by group.

# %% [markdown]
# ## Key points
#
# - Look before you train: the columns' units, types and gaps decide what the model and the API
#   must accept.
# - Rows without a target are dropped; missing *features* are imputed inside the model pipeline,
#   because requests will have the same gaps. Fill them on purpose, and say how.
# - mpg falls along a curve with weight, power and engine size; those three move together.
# - Model year and origin add information, but origin is entangled with car size: compare within
#   groups (`groupby`, `pd.cut`) before drawing conclusions.
# - The model will only know 1970–1982 cars; validate inputs so obvious mistakes never reach it.
