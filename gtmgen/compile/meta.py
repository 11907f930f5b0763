"""The Meta side: the Meta Pixel base code and event tags, as Custom HTML from jinja2 templates.

The base tag fires once per page on All Pages (and again on the consent platform's update
event, so a visitor who grants consent later is still counted; it never initialises a pixel
or sends a PageView twice). Every event tag names the base tag as its setup tag, so GTM runs
the base code first. Events go to each configured pixel with `trackSingle` (or
`trackSingleCustom`), never to pixels someone else put on the page. Every Meta tag needs
additional consent (ad_storage + ad_user_data; audience events also ad_personalization).
"""

from __future__ import annotations

from dataclasses import replace

from gtmgen.compile.audiences import group_kinds, group_variable_name
from gtmgen.compile.consent import update_trigger_name
from gtmgen.compile.parts import (
    AD_CONSENT,
    AUDIENCE_CONSENT,
    FOLDER_AUDIENCES,
    FOLDER_META,
    PAGE_TYPE_DEFAULT,
    PAGE_TYPE_VARIABLE,
    Part,
    custom_event_trigger,
    html_tag,
    ref,
)
from gtmgen.compile.render import render
from gtmgen.container import ALL_PAGES_TRIGGER_ID, Condition, ConsentSettings, Tag, Trigger, ownership_notes
from gtmgen.spec import LABEL_BY_KIND, Meta, SiteSpec

META_BASE_TAG = "Meta - Base"
VIEW_CONTENT_TAG = "Meta - ViewContent"
PAGE_GROUP_TRIGGER = "PV - page group"
# Meta's standard events (its reference and official GTM template); others are custom events.
STANDARD_EVENTS = frozenset(
    "PageView AddPaymentInfo AddToCart AddToWishlist CompleteRegistration Contact CustomizeProduct Donate "
    "FindLocation InitiateCheckout Lead Purchase Schedule Search StartTrial SubmitApplication Subscribe "
    "ViewContent".split()
)


def _with_update(spec: SiteSpec, trigger: str) -> tuple[str, ...]:
    update = update_trigger_name(spec.consent)
    return (trigger, update) if update else (trigger,)


def _base_tag(spec: SiteSpec, meta: Meta) -> Tag:
    what = (
        "Meta Pixel base code: loads fbevents.js, initialises each pixel once and sends one PageView per pixel. "
        "Setup tag of every Meta event tag."
    )
    return html_tag(
        META_BASE_TAG,
        render("meta/base.html.j2", pixel_ids=list(meta.pixel_ids)),
        triggers=_with_update(spec, ALL_PAGES_TRIGGER_ID),
        consent=AD_CONSENT,
        notes=ownership_notes("platforms.meta", what),
        folder=FOLDER_META,
        firing_option="ONCE_PER_LOAD",
    )


def event_tag(
    meta: Meta,
    name: str,
    event: str,
    *,
    trigger: str,
    params: dict[str, object],
    dynamic: list[tuple[str, str, bool]],
    event_id: str | None,
    consent: ConsentSettings,
    notes: str,
    folder: str = FOLDER_META,
    custom: bool = False,
) -> Tag:
    """A Meta event tag: `event` with static `params` and `dynamic` (key, variable, numeric) ones."""
    html = render(
        "meta/event.html.j2",
        pixel_ids=list(meta.pixel_ids),
        event=event,
        custom=custom or event not in STANDARD_EVENTS,
        params=params,
        dynamic=dynamic,
        event_id=event_id,
    )
    return html_tag(
        name, html, triggers=(trigger,), consent=consent, notes=notes, folder=folder, setup_tag=META_BASE_TAG
    )


PAGE_GROUP_FILTER = (Condition.of("EQUALS", ref(PAGE_TYPE_VARIABLE), PAGE_TYPE_DEFAULT, negate=True),)


def _page_group_triggers(spec: SiteSpec) -> tuple[Trigger, ...]:
    """Page views of page-group pages, and (if configured) consent updates on those pages."""
    what = "Page views of pages in a page group (RT - page type is not 'other')."
    view = Trigger(
        "",
        PAGE_GROUP_TRIGGER,
        "PAGEVIEW",
        filter=PAGE_GROUP_FILTER,
        notes=ownership_notes("page_groups", what),
        parent_folder_id=FOLDER_AUDIENCES,
    )
    if not spec.consent.update_event:
        return (view,)
    what = "Consent updates on page-group pages, so ViewContent still fires after a late consent."
    update = custom_event_trigger(spec.consent.update_event, "consent.update_event", what, FOLDER_AUDIENCES)
    update = replace(update, name=f"{update.name} on page-group pages", filter=PAGE_GROUP_FILTER)
    return (view, update)


def _view_content(spec: SiteSpec, meta: Meta) -> Part:
    if not spec.page_groups:
        return Part()
    groups = [(LABEL_BY_KIND[k], group_variable_name(k)) for k in group_kinds(spec)]
    html = render(
        "meta/view_content.html.j2", pixel_ids=list(meta.pixel_ids), page_type=PAGE_TYPE_VARIABLE, groups=groups
    )
    what = "ViewContent on page-group pages: content_category = page type, content_name = its slug, plus the labels."
    triggers = _page_group_triggers(spec)
    tag = html_tag(
        VIEW_CONTENT_TAG,
        html,
        triggers=tuple(t.name for t in triggers),
        consent=AUDIENCE_CONSENT,
        notes=ownership_notes("page_groups", what),
        folder=FOLDER_META,
        setup_tag=META_BASE_TAG,
        firing_option="ONCE_PER_LOAD",
    )
    return Part(tags=(tag,), triggers=triggers)


def compile_meta(spec: SiteSpec) -> Part:
    """The Meta base tag and the page-group ViewContent tag (none without a Meta pixel)."""
    meta = spec.platforms.meta
    if meta is None:
        return Part()
    return Part(tags=(_base_tag(spec, meta),)) + _view_content(spec, meta)
