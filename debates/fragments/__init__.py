"""Rendering of the live widgets: the table of widgets (widgets.py), per-item fragments (items.py) and the
renderer that serves both once per audience (rendering.py); re-exported here."""

from __future__ import annotations

from .widgets import (
    Context,
    ContextBuilder,
    View,
    Widget,
    SCREEN_TOP,
    ARGUMENTS_PER_SIDE,
    ARTICLE_ARGUMENTS_PER_SIDE,
    version_now,
    SCREEN_MODE_BUTTONS,
    CITIZEN,
    SCREEN,
    CONSOLE,
    WIDGETS,
    SNAPSHOT_KEYS,
    view_for,
    template_for,
    widget_context,
    page_context,
    poll_view,
    poll_views,
    screen_poll,
)
from .items import ITEM_KINDS, split_item_keys, render_items
from .rendering import render

__all__ = [
    "ARGUMENTS_PER_SIDE",
    "ARTICLE_ARGUMENTS_PER_SIDE",
    "CITIZEN",
    "CONSOLE",
    "Context",
    "ContextBuilder",
    "ITEM_KINDS",
    "SCREEN",
    "SCREEN_MODE_BUTTONS",
    "SCREEN_TOP",
    "SNAPSHOT_KEYS",
    "View",
    "WIDGETS",
    "Widget",
    "page_context",
    "poll_view",
    "poll_views",
    "render",
    "render_items",
    "screen_poll",
    "split_item_keys",
    "template_for",
    "version_now",
    "view_for",
    "widget_context",
]
