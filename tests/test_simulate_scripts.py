"""Reading fbq and dataLayer calls out of Custom HTML without running it."""

from __future__ import annotations

from gtmgen.simulate.scripts import find_calls
from gtmgen.simulate.values import Unknown


def _render(text: str) -> object:
    return {"{{Event ID}}": "abc", "{{Value}}": "150", "{{JS}}": Unknown("js")}.get(text, Unknown(text))


def _calls(script: str) -> list[tuple[object, ...]]:
    return [c.args for c in find_calls(script, ("fbq", "dataLayer.push"), _render)]


def test_literal_calls_and_variables_in_code_and_in_strings() -> None:
    script = """<script>
      fbq('init', '123');  // a comment with fbq('x')
      fbq("track", "Lead", {value: {{Value}}, currency: 'USD', label: 'id-{{Event ID}}'}, {eventID: {{Event ID}}});
    </script>"""
    assert _calls(script) == [
        ("init", "123"),
        ("track", "Lead", {"value": "150", "currency": "USD", "label": "id-abc"}, {"eventID": "abc"}),
    ]


def test_declared_literals_loops_over_arrays_and_string_conversion() -> None:
    script = """
      var pixels = ["1", "2"];
      var params = {"content_name": "Lead form"};
      var options = {eventID: String({{Event ID}})};
      for (var i = 0; i < pixels.length; i++) { w.fbq("trackSingle", pixels[i], "Lead", params, options); }
    """
    assert _calls(script) == [
        ("trackSingle", "1", "Lead", {"content_name": "Lead form"}, {"eventID": "abc"}),
        ("trackSingle", "2", "Lead", {"content_name": "Lead form"}, {"eventID": "abc"}),
    ]


def test_conditional_assignments_follow_isfinite_guards_or_stay_unknown() -> None:
    script = """
      var params = {"currency": "EUR"};
      var number = Number({{Value}});
      if (isFinite(number)) { params["value"] = number; }
      if (someFlag) { params.extra = "x"; }
      fbq("track", "Purchase", params);
    """
    (call,) = _calls(script)
    params = call[2]
    assert isinstance(params, dict) and params["value"] == 150.0 and params["currency"] == "EUR"
    assert isinstance(params["extra"], Unknown)


def test_expressions_are_unknown_not_guessed() -> None:
    script = "dataLayer.push({event: 'x', id: makeId(), n: a + 1}); window.dataLayer.push({event: 'y'}); other.fbq(1);"
    first, second, third = _calls(script)
    assert first[0]["event"] == "x" and isinstance(first[0]["id"], Unknown) and isinstance(first[0]["n"], Unknown)
    assert second == ({"event": "y"},)
    assert third == (1,)


def test_a_name_declared_twice_is_not_trusted() -> None:
    script = "var e = 'a'; var e = compute(); fbq('track', e);"
    (call,) = _calls(script)
    assert isinstance(call[1], Unknown)
