"""Fixtures shared by the checks of the built book.

The page checks of ``test_browser.py`` define the local server of the built HTML
(``server``) and the headless Chromium (``browser``); the phone and animation checks
use the same two, through this file.
"""

from test_browser import browser, server  # noqa: F401
