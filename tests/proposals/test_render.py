"""Rendering through the one Jinja environment: every built-in template in every language,
key numbers, escaping, overrides, strict undefined, sandbox, offer settings."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from solarcli.errors import TemplateError, ValidationError
from solarcli.proposals.context import customer_price
from solarcli.proposals.i18n import load_catalogue
from solarcli.proposals.render import Renderer, builtin_dir

from .conftest import CONTACT, load_estimate

LANGS = ["en", "de", "tr"]
TEMPLATES = ["proposal", "proposal-off-grid"]

# total price, annual production, year-1 savings and the number, as each locale writes them
ON_GRID_NUMBERS = {
    "en": ["€16,084.49", "9,790 kWh", "€2,011.39", "P-2026-7K2MQ4X v1", "3 December 2026"],
    "de": ["16.084,49\xa0€", "9.790 kWh", "2.011,39\xa0€", "P-2026-7K2MQ4X v1", "3. Dezember 2026"],
    "tr": ["€16.084,49", "9.790 kWh", "€2.011,39", "P-2026-7K2MQ4X v1", "3 Aralık 2026"],
}


def builtin_templates() -> list[str]:
    return sorted(p.name for p in builtin_dir().glob("*.j2") if not p.name.startswith("_"))


def test_builtin_set_is_what_the_tests_cover():
    assert builtin_templates() == ["proposal-off-grid.html.j2", "proposal-off-grid.md.j2",
                                   "proposal.html.j2", "proposal.md.j2"]
    assert sorted(p.stem for p in (builtin_dir() / "i18n").glob("*.yaml")) == ["de", "en", "tr"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template", builtin_templates())
def test_every_builtin_template_renders_in_every_language(render, est_on, est_off, template, lang):
    off = "off-grid" in template
    out = render(template, lang, est_off if off else est_on, off_grid=off)
    assert "P-2026-7K2MQ4X v1" in out
    assert "Anna Schneider" in out
    if not off:
        for text in ON_GRID_NUMBERS[lang]:
            assert text in out, (template, lang, text)
    else:
        # Turkish lira, VAT 20 %: 368.658,72 ₺ total in the fixture
        total = {"en": "TRY368,658.72", "de": "368.658,72\xa0TRY", "tr": "₺368.658,72"}[lang]
        assert total.replace("\xa0", " ") in out.replace("\xa0", " ") or total in out, (template, lang, total)
    if template.endswith(".html.j2"):
        assert out.lstrip().startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in out


@pytest.mark.parametrize("lang", LANGS)
def test_html_has_every_section(render, est_on, lang):
    from solarcli.proposals.i18n import Translator

    t = Translator(lang, [builtin_dir()])
    out = render("proposal.html.j2", lang, est_on)
    for key in ("summary.title", "system.title", "production.title", "consumption.title", "flow.title",
                "battery.title", "bom.title", "price.title", "finance.title", "environment.title",
                "assumptions.title", "terms.title", "signature.title"):
        assert f">{t(key)}<" in out.replace("&amp;", "&"), key
    assert t("cash_flow.title", years=25) in out
    assert out.count("<svg") == 5  # cover (balance), production, balance, energy flow, cash flow
    assert t("source.weather-file") in out  # production source tier printed
    assert "8.811" in out or "8,811" in out  # lower end of the uncertainty band
    # 26 rows of the cash-flow table (year 0..25)
    cash = out.split(t("cash_flow.title", years=25), 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r"<tr><td class=\"num\">\d+</td>", cash)) == 26


def test_catalogues_are_complete():
    en = load_catalogue(builtin_dir() / "i18n" / "en.yaml")
    for lang in ("de", "tr"):
        other = load_catalogue(builtin_dir() / "i18n" / f"{lang}.yaml")
        assert set(other) == set(en), (lang, set(en) ^ set(other))
        placeholders = lambda s: sorted(re.findall(r"\{(\w+)\}", s))  # noqa: E731
        for key in en:
            assert placeholders(other[key]) == placeholders(en[key]), (lang, key)


def test_every_translation_key_used_by_the_templates_exists():
    en = load_catalogue(builtin_dir() / "i18n" / "en.yaml")
    used = set()
    for path in builtin_dir().glob("*.j2"):
        used |= set(re.findall(r"""\bt\(\s*"([a-z0-9_.]+)"\s*[,)]""", path.read_text()))
    assert used and not (used - set(en)), used - set(en)


# ------------------------------------------------------------------------------ safety
EVIL = "<script>alert(1)</script> {{ 7*7 }} {% raw %}"


@pytest.mark.parametrize("template", ["proposal.html.j2", "proposal-off-grid.html.j2"])
def test_record_values_are_escaped_in_html(render, est_on, template):
    est_on["system"]["arrays"][0]["name"] = "<img src=x onerror=alert(2)>"
    est_on["price"]["items"][0]["name"] = "<b>bold</b> & {{ 7*7 }}"
    project = {"id": "7k2mq4xd9b", "name": "</title><script>x()</script>", "created": "2026-01-01",
               "site": {"address": {"street": EVIL, "city": "Freiburg"}}}
    out = render(template, "en", est_on, contact=dict(CONTACT, name=EVIL), project=project)
    assert "<script>" not in out and "<img src=x" not in out and "<b>bold</b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% raw %}" in out
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; {{ 7*7 }}" in out
    assert ">49<" not in out and " 49 " not in out


def test_record_values_are_escaped_in_markdown(render, est_on):
    out = render("proposal.md.j2", "en", est_on, contact=dict(CONTACT, name=EVIL + " | [x](javascript:y) *b*"))
    assert "<script>" not in out
    assert r"\<script\>alert(1)\</script\> {{ 7\*7 }} {% raw %} \| \[x\](javascript:y) \*b\*" in out


def test_css_values_cannot_break_out_of_the_style_element(render, est_on):
    cfg = {"company": {"name": "Evil</style><script>x()</script>\"; } body { display:none",
                       "colors": {"primary": "red;}</style><script>", "secondary": "#123"}},
           "currency": "EUR", "locale": "en_GB"}
    out = render("proposal.html.j2", "en", est_on, config=cfg)
    style = out.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<" not in style  # the company name is a CSS string with \hex escapes
    assert 'content: "Evil\\3c /style\\3e \\3c script\\3e x()' in style
    assert "--brand: #f59e0b" in style  # invalid colour replaced by the default
    assert "--ink: #123" in style


def test_sandbox_blocks_python_internals(tmp_path, render, est_on):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "evil.html.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateError, match=r"template templates/evil.html.j2 line 1: not allowed"):
        render("evil.html.j2", "en", est_on, repo_root=tmp_path)


def test_margin_is_never_shown(render, est_on):
    margin = est_on["price"]["margin"]  # 1723.34 at 12 %
    for tmpl in ("proposal.html.j2", "proposal.md.j2"):
        for lang in LANGS:
            out = render(tmpl, lang, est_on)
            assert "1,723.34" not in out and "1.723,34" not in out and "Margin" not in out
            assert "14,361.15" not in out and "14.361,15" not in out  # price after discount at cost
    hidden = "DC cabling, connectors, surge protection"
    assert hidden not in render("proposal.html.j2", "en", est_on)
    assert margin == "1723.34"


def test_margin_is_not_even_in_the_context(tmp_path, render, est_on):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "leak.html.j2").write_text("margin: {{ price.margin }}\n")
    with pytest.raises(TemplateError, match=r"leak.html.j2 line 1: .*margin"):
        render("leak.html.j2", "en", est_on, repo_root=tmp_path)


def test_customer_price_adds_up_to_the_cent(est_on, est_off):
    for est in (est_on, est_off):
        p = customer_price(est["price"])
        lines = sum(Decimal(i["total"]) for i in p["items"]) + Decimal(p["other_items_total"] or 0)
        assert lines == Decimal(p["subtotal"])
        assert Decimal(p["subtotal"]) - Decimal(p["discount"]) == Decimal(p["net"]) == Decimal(est["price"]["net"])
        assert Decimal(p["net"]) + Decimal(p["vat"]) == Decimal(p["total"]) == Decimal(est["price"]["total"])
        assert "margin" not in p and "margin_pct" not in p
        for i in p["items"]:
            if i["pricing"] != "per-watt":
                assert Decimal(i["unit_price"]) * Decimal(str(i["quantity"])) == Decimal(i["total"]) or i["quantity"] == 1


def test_customer_price_without_hidden_items_puts_the_residual_on_a_lump_sum():
    price = {"currency": "EUR", "items": [
        {"name": "A", "pricing": "quantity", "quantity": 3, "unit_price": "33.33", "total": "99.99", "visible": True},
        {"name": "B", "pricing": "set", "quantity": 1, "unit_price": "10.01", "total": "10.01", "visible": True}],
        "subtotal": "110.00", "discount_pct": "0", "discount": "0.00", "after_discount": "110.00",
        "margin_pct": "7", "margin": "7.70", "net": "117.70", "vat_pct": "19", "vat": "22.36", "total": "140.06"}
    p = customer_price(price)
    assert p["other_items_total"] is None
    assert sum(Decimal(i["total"]) for i in p["items"]) == Decimal("117.70") == Decimal(p["subtotal"])
    assert p["discount"] == "0.00"


# ------------------------------------------------------------------- errors and overrides
def test_override_extends_builtin_and_replaces_one_block(tmp_path, render, est_on):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "proposal.html.j2").write_text(
        '{% extends "builtin/proposal.html.j2" %}\n'
        '{% block terms %}<section><h2>Our own terms</h2><p>{{ customer.name }}</p></section>{% endblock %}\n')
    out = render("proposal.html.j2", "en", est_on, repo_root=tmp_path,
                 contact=dict(CONTACT, name="<i>Anna</i>"))
    assert "<h2>Our own terms</h2><p>&lt;i&gt;Anna&lt;/i&gt;</p>" in out
    assert "Terms and validity" not in out  # the replaced block
    assert "Bill of materials" in out and "€16,084.49" in out  # the rest is the built-in
    # the off-grid built-in extends proposal.html.j2, so it picks up the override too
    out2 = render("proposal-off-grid.html.j2", "en", load_estimate("off_grid"), repo_root=tmp_path, off_grid=True)
    assert "Our own terms" in out2 and "Autonomy" in out2


def test_repo_catalogue_overrides_one_text(tmp_path, render, est_on):
    (tmp_path / "templates" / "i18n").mkdir(parents=True)
    (tmp_path / "templates" / "i18n" / "de.yaml").write_text("price:\n  total: Endpreis\n")
    out = render("proposal.html.j2", "de", est_on, repo_root=tmp_path)
    assert "Endpreis" in out and "Stückliste" in out  # the rest from the built-in catalogue


def test_repo_can_add_a_language(tmp_path, render, est_on):
    (tmp_path / "templates" / "i18n").mkdir(parents=True)
    (tmp_path / "templates" / "i18n" / "fr.yaml").write_text("title: Proposition solaire\n")
    out = render("proposal.html.j2", "fr", est_on, repo_root=tmp_path)
    assert "Proposition solaire" in out and "16\u202f084,49\xa0€" in out  # French formatting, English fallback
    assert "Bill of materials" in out


def test_unknown_language(render, est_on):
    with pytest.raises(ValidationError, match=r"language 'xx': no catalogue i18n/xx.yaml; available: de, en, tr"):
        render("proposal.html.j2", "xx", est_on)


def test_undefined_variable_names_template_and_line(tmp_path, render, est_on):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "proposal.html.j2").write_text(
        '{% extends "builtin/proposal.html.j2" %}\n{% block terms %}\n<p>{{ customer.nickname }}</p>\n{% endblock %}\n')
    with pytest.raises(TemplateError) as e:
        render("proposal.html.j2", "en", est_on, repo_root=tmp_path)
    assert e.value.exit_code == 9
    assert "template templates/proposal.html.j2 line 3" in e.value.message
    assert "nickname" in e.value.message


def test_syntax_error_names_template_and_line(tmp_path, render, est_on):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "broken.html.j2").write_text("<p>\n{% if x %}\n<p>never closed\n")
    with pytest.raises(TemplateError, match=r"template templates/broken.html.j2 line 3: syntax error: Unexpected end of template"):
        render("broken.html.j2", "en", est_on, repo_root=tmp_path)


def test_missing_template(render, est_on):
    with pytest.raises(TemplateError, match="template 'nope.html.j2' not found"):
        render("nope.html.j2", "en", est_on)


def test_missing_translation_key_is_an_error(tmp_path, render, est_on):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.html.j2").write_text('{{ t("no.such.key") }}\n')
    with pytest.raises(TemplateError, match=r"x.html.j2 line 1: .*no translation 'no.such.key'"):
        render("x.html.j2", "en", est_on, repo_root=tmp_path)


@pytest.mark.parametrize("name,escaped", [("page.htm", True), ("page.j2", True), ("page.html", True),
                                          ("page.xhtml.jinja", True), ("notes.md.j2", False),
                                          ("notes.txt", False)])
def test_autoescape_whatever_the_suffix(tmp_path, render, est_on, name, escaped):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / name).write_text("{{ customer.name }}")
    out = render(name, "en", est_on, repo_root=tmp_path, contact=dict(CONTACT, name="<b>x</b>"))
    assert out == ("&lt;b&gt;x&lt;/b&gt;" if escaped else r"\<b\>x\</b\>")


# ------------------------------------------------------------------------ offer settings
def test_offer_pages_and_texts(render, est_on):
    cfg = {"company": {"name": "Sonnenwerk"}, "currency": "EUR", "locale": "de_DE",
           "offer": {"pages": {"bom": False, "cash_flow": False, "signature": False},
                     "texts": {"intro": {"de": "Hallo {customer}, gültig {validity_days} Tage {{ 7*7 }}",
                                         "en": "Hello {customer}"},
                               "terms": "Zahlbar sofort. {unknown}"},
                     "validity_days": 14}}
    de = render("proposal.html.j2", "de", est_on, config=cfg)
    assert "Stückliste" not in de and "Cashflow über" not in de and "Hiermit beauftrage" not in de
    assert "Hallo Anna Schneider, gültig 14 Tage {{ 7*7 }}" in de
    assert "Zahlbar sofort. {unknown}" in de
    assert "(14 Tage)" in de
    en = render("proposal.html.j2", "en", est_on, config=cfg)
    assert "Hello Anna Schneider" in en


def test_unknown_offer_page_is_an_error(render, est_on):
    cfg = {"company": {"name": "X"}, "offer": {"pages": {"boms": False}}}
    with pytest.raises(ValidationError, match=r"offer.pages: unknown page 'boms'"):
        render("proposal.html.j2", "en", est_on, config=cfg)


def test_logo_is_a_data_uri_and_html_is_self_contained(tmp_path, render, est_on):
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    cfg = {"company": {"name": "Sonnenwerk", "logo": "logo.svg"}, "currency": "EUR"}
    out = render("proposal.html.j2", "en", est_on, repo_root=tmp_path, config=cfg)
    assert 'src="data:image/svg+xml;base64,' in out
    assert "<link" not in out and "<script" not in out
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", out)
    assert "@page" in out and "counter(pages)" in out and "size: A4" in out
    cfg["company"]["logo"] = "../etc/passwd"
    with pytest.raises(ValidationError, match="company.logo: '../etc/passwd' is outside the records repository"):
        render("proposal.html.j2", "en", est_on, repo_root=tmp_path, config=cfg)


def test_map_tier_has_no_monthly_bars(render, est_off):
    out = render("proposal-off-grid.html.j2", "en", est_off, off_grid=True)
    assert "rough estimate from a global irradiation map" in out
    assert "rough estimate from an irradiation map" in out  # source tier
    assert "± 15 %" in out  # uncertainty
    assert "Autonomy" in out and "Fed into the grid" not in out


def test_payback_never_and_no_irr(render, est_on):
    est_on["finance"]["payback_years"] = None
    est_on["finance"]["irr_pct"] = None
    for lang, never, none in (("en", "never", "none"), ("de", "nie", "keine"), ("tr", "hiçbir zaman", "yok")):
        out = render("proposal.html.j2", lang, est_on)
        assert f'<div class="v">{never}</div>' in out
        assert f'<div class="v">{none}</div>' in out


def test_renderer_lists_builtins_and_overrides(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "proposal.html.j2").write_text("x")
    (tmp_path / "templates" / "mine.md.j2").write_text("y")
    rows = {r["name"]: r for r in Renderer(tmp_path).list_templates()}
    assert rows["proposal.html.j2"]["source"] == "repo" and rows["proposal.html.j2"]["overrides"]
    assert rows["mine.md.j2"]["source"] == "repo" and not rows["mine.md.j2"]["overrides"]
    assert rows["proposal.md.j2"]["source"] == "builtin"
    assert "__init__.py" not in rows
