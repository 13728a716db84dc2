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
# - which findings shape the model we train in notebook 02.
#
# **Teaching:** 15 min · **Exercises:** 10 min

# %% [markdown]
# ## Setup
#
# Run this cell first. It is safe to run again: it only imports and loads.

# %%
import matplotlib.pyplot as plt
import pandas as pd

from workshop import ROOT
from workshop.cars_data import CSV, TARGET, load_cars

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 120)
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
# Why a `car_id`? Names are not unique, so they cannot identify a row:

# %%
cars["name"].value_counts().head()

# %%
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
# keep them and fill the gap with a typical value (*impute* it). We will do that *inside* the
# model pipeline rather than in this table, because callers of our API will also send cars whose
# horsepower they do not know (`"horsepower": null`), and the deployed model must handle them
# the same way.

# %%
cars[cars["horsepower"].isna()]

# %% [markdown]
# ## 3. The target: miles per gallon

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(cars[TARGET].dropna(), bins=30, color="tab:gray", edgecolor="white")
ax.axvline(
    cars[TARGET].median(), color="black", linestyle="--", label=f"median {cars[TARGET].median():.1f} mpg"
)
ax.set(xlabel="miles per gallon", ylabel="number of cars", title="Fuel economy of 398 cars")
ax.legend()
plt.show()

# %% [markdown]
# mpg runs from 9 to 47 and is skewed to the right: many thirsty cars around 15–20 mpg, a long
# tail of frugal ones. An error of 2 mpg is a lot for a 12 mpg truck and little for a 40 mpg
# compact; we will keep that in mind when we read the model's errors.
#
# ## 4. What goes with mpg?
#
# Heavier, more powerful, bigger-engined cars should use more fuel. A picture shows both the
# trend and its shape, which a single number would hide:

# %%
fig, axes = plt.subplots(1, 3, sharey=True)
for ax, column, unit in zip(
    axes, ["weight", "horsepower", "displacement"], ["pounds", "hp", "cubic inches"], strict=True
):
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
# - the three plots look alike: weight, power and engine size go together (big cars have big
#   engines);
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
for i in range(len(corr)):
    for j in range(len(corr)):
        ax.text(
            j,
            i,
            f"{corr.iat[i, j]:.2f}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if abs(corr.iat[i, j]) > 0.6 else "black",
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
# - Weight, displacement, horsepower and cylinders are **strongly correlated** with each other
#   (above 0.8). That is fine for prediction, but do not read one coefficient as "the effect of
#   weight".
# - **Year** and **origin** add information; origin is text and needs encoding as numbers.
# - The data covers 1970–1982 cars only. A 2024 hybrid is far outside it: the model will still
#   answer, and the API should at least reject values that cannot be right (a year of `71`).

# %% [markdown]
# ## Exercises
#
# Write your answer in the cell under each exercise, then run the **check** cell below it.
# A check that fails tells you what is wrong; one that passes prints a confirmation.
#
# ### Exercise 1: the most economical origin
#
# Which origin has the **highest median mpg**? Store its name (a string such as `"USA"`) in
# `best_origin`.

# %% tags=["solution"]
# Exercise 1: set best_origin to the origin with the highest median mpg.

medians = cars.groupby("origin")[TARGET].median()
best_origin = medians.idxmax()
medians.sort_values(ascending=False)

# %% tags=["check"]
# extra code – checks your answer to exercise 1
assert isinstance(best_origin, str), f"best_origin should be a string, got {type(best_origin)}"
assert best_origin in ORIGINS, f"{best_origin!r} is not one of {list(ORIGINS)}"
mine = cars.loc[cars["origin"] == best_origin, TARGET].median()
assert all(
    mine > cars.loc[cars["origin"] == other, TARGET].median() for other in ORIGINS if other != best_origin
), f"{best_origin} is not the highest"
print(f"Correct: {best_origin} (median {mine:.1f} mpg)")

# %% [markdown]
# ### Exercise 2: how common are V8s?
#
# For each origin, what **fraction** of its cars have 8 cylinders? Store the answer as a pandas
# Series indexed by origin, with values between 0 and 1, in `eight_cylinder_share`. Then think:
# what does it tell you about comparing origins' mpg directly?
#
# *Hint:* the mean of a column of `True`/`False` values is the fraction of `True`.

# %% tags=["solution"]
# Exercise 2: set eight_cylinder_share to the fraction of 8-cylinder cars per origin.

eight_cylinder_share = (cars["cylinders"] == 8).groupby(cars["origin"]).mean()
eight_cylinder_share.round(3)

# %% tags=["check"]
# extra code – checks your answer to exercise 2
assert isinstance(eight_cylinder_share, pd.Series), "eight_cylinder_share should be a Series"
cars_per_origin = cars["origin"].value_counts()
assert set(eight_cylinder_share.index) == set(ORIGINS), "index it by origin"
assert eight_cylinder_share.between(0, 1).all(), "fractions lie between 0 and 1"
v8s = (eight_cylinder_share * cars_per_origin).round()  # back from fractions to numbers of cars
assert v8s.sum() == (cars["cylinders"] == 8).sum(), (
    "the fractions do not add up to the data's 8-cylinder cars: divide by each origin's count"
)
print("Correct:", ", ".join(f"{o} {share:.0%}" for o, share in eight_cylinder_share.items()))

# %% [markdown] tags=["solution"]
# Only American cars have eight cylinders (more than 40 % of them). Part of the gap between US
# and Japanese mpg is therefore a gap in car size, not in engineering: compare cars of similar
# weight before blaming the origin. A model that sees weight and origin together can separate
# the two.

# %% [markdown]
# ## Key points
#
# - Look before you train: the columns' units, types and gaps decide what the model and the API
#   must accept.
# - Rows without a target are dropped; missing *features* are imputed inside the model pipeline,
#   because requests will have the same gaps.
# - mpg falls along a curve with weight, power and engine size; those three move together.
# - Model year and origin add information, but origin is entangled with car size.
# - The model will only know 1970–1982 cars; validate inputs so obvious mistakes never reach it.
