"""Sphinx configuration of the rendered course (`make site`, workshop/site.py).

The sources are not in this folder: workshop/site.py writes them into the build directory (the
executed solution notebooks, the index and the slides page from site/pages/) and runs
`sphinx-build -c site/ <sources> <html>`. Paths below are relative to this folder.

Nothing may load from elsewhere: the site is read offline (and the tests open it in a Chromium
with no internet), so no CDN, no web fonts, no widget JavaScript, no MathJax from a CDN.
"""

project = "Serverless ML on AWS Lambda"
author = "the workshop's authors"
copyright = "the workshop's authors, MIT licence"
language = "en"

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["downloads/**", "**.ipynb_checkpoints"]

# The notebooks arrive executed (workshop/site.py runs them with nbclient, and fails the build on
# any cell error): Sphinx only renders them.
nb_execution_mode = "off"
nb_merge_streams = True
nb_output_stderr = "show"
# Widgets (tqdm's progress bars) would need require.js and the widget manager from a CDN: none
# is loaded, and their text version is shown instead.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
# colon_fence for the notes the builder adds to each lesson. Not dollarmath: the lessons quote
# prices in dollars, and math would need MathJax, which is not available offline.
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = project
templates_path = ["templates"]  # layout.html: the page icon, inlined
html_static_path = ["static"]
html_css_files = ["site.css"]
# Search results without the text around each hit: that text is fetched from the page, which a
# browser refuses for a site opened from disk (file://); the results themselves work there.
html_show_search_summary = False
html_use_index = False  # no general index page: the navigation and the search do that job
html_copy_source = True
html_show_sphinx = False
html_last_updated_fmt = None
# Light, dark or the reader's system setting; without a default the theme logs a console error.
html_context = {"default_mode": "auto"}
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,  # the executed notebook, outputs included
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
