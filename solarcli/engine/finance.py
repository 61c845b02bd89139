"""Money: bill of materials pricing and the cash-flow model of DOMAIN.md §4.

Money is ``Decimal`` end to end; energy (kWh) enters as floats from the energy model
and is converted with ``to_decimal`` (3 decimals) before it meets a price.

Year t = 1..N, degradation d, escalation e, discount rate r:
    E_t  = E_1 (1-d)^(t-1); SC_t and Export_t scale the same way
    p_t  = p_1 (1+e)^(t-1);  f_t = f_1 (1+e_f)^(t-1), e_f = 0 unless set
    value_t = SC_t p_t + Export_t f_t              (feed-in, net billing)
            = min(E_t, Load) p_t                   (net metering)
            = SC_t p_t                             (zero injection: export curtailed)
    CF_0 = -(price incl. VAT - upfront incentives)
    CF_t = value_t - O&M_t - replacements_t
    simple payback = -CF_0 / CF_1;  payback: first t with cumulative >= 0, interpolated
    NPV = sum_{t=0..N} CF_t / (1+r)^t;  IRR: NPV = 0 (None without a sign change)
    LCOE = [-CF_0 + sum O&M_t/(1+r)^t] / sum E_t/(1+r)^t
    CO2 avoided = sum E_t * EF
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from solarcli.errors import EngineError

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
REGIMES = ("feed-in", "net-billing", "net-metering", "zero-injection")
PRICINGS = ("quantity", "per-watt", "set")


def D(value: Any, field_name: str = "value") -> Decimal:
    """Decimal from YAML/CLI input (str, int, float via str)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise EngineError(f"{field_name}: {value!r} is not a number")
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise EngineError(f"{field_name}: {value!r} is not a number") from None


def to_decimal(kwh: float, places: int = 3) -> Decimal:
    return Decimal(repr(round(float(kwh), places)))


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def pct(x: Any, field_name: str, lo: float = 0, hi: float = 100) -> Decimal:
    v = D(x, field_name)
    if not Decimal(str(lo)) <= v <= Decimal(str(hi)):
        raise EngineError(f"{field_name}: {v} is outside {lo}-{hi} %")
    return v


# --------------------------------------------------------------------------- BOM


@dataclass
class BomItem:
    name: str
    category: str
    pricing: str
    unit_price: Decimal
    quantity: Decimal = ONE
    unit: str = "pc"
    visible: bool = True
    source: str = "manual"  # manual | design | preset:<name>

    @property
    def total(self) -> Decimal:
        if self.pricing == "set":
            return money(self.unit_price)
        return money(self.unit_price * self.quantity)


def bom_item(raw: dict, index: int, system_wp: Decimal) -> BomItem:
    """Validate one BOM mapping. per-watt items default their quantity to the DC Wp."""
    where = f"bom.items[{index}]"
    name = str(raw.get("name") or "").strip()
    if not name:
        raise EngineError(f"{where}.name: missing")
    pricing = str(raw.get("pricing") or "quantity")
    if pricing not in PRICINGS:
        raise EngineError(f"{where}.pricing: {pricing!r}; expected quantity, per-watt or set")
    unit_price = D(raw.get("unit_price"), f"{where}.unit_price")
    if unit_price < 0:
        raise EngineError(f"{where}.unit_price: {unit_price} must not be negative")
    if pricing == "per-watt":
        qty = D(raw["quantity"], f"{where}.quantity") if raw.get("quantity") is not None else system_wp
        unit = str(raw.get("unit") or "Wp")
    elif pricing == "set":
        qty, unit = ONE, str(raw.get("unit") or "set")
    else:
        qty = D(raw.get("quantity", 1), f"{where}.quantity")
        unit = str(raw.get("unit") or "pc")
    if qty < 0:
        raise EngineError(f"{where}.quantity: {qty} must not be negative")
    return BomItem(
        name=name, category=str(raw.get("category") or "other"), pricing=pricing,
        unit_price=unit_price, quantity=qty, unit=unit,
        visible=bool(raw.get("visible", True)), source=str(raw.get("source") or "manual"),
    )


@dataclass
class Price:
    currency: str
    items: list[BomItem]
    subtotal: Decimal
    discount_pct: Decimal
    discount: Decimal
    after_discount: Decimal
    margin_pct: Decimal
    margin: Decimal
    net: Decimal
    vat_pct: Decimal
    vat: Decimal
    total: Decimal


def price_bom(items: list[BomItem], *, discount_pct=ZERO, margin_pct=ZERO, vat_pct=ZERO,
              currency: str = "EUR") -> Price:
    """subtotal → −discount → +margin (on the discounted amount) → net → +VAT → total.
    Each step is rounded to cents (half up)."""
    discount_pct = pct(discount_pct, "bom.discount_pct")
    margin_pct = pct(margin_pct, "bom.margin_pct", 0, 1000)
    vat_pct = pct(vat_pct, "bom.vat_pct")
    subtotal = sum((i.total for i in items), ZERO)
    discount = money(subtotal * discount_pct / HUNDRED)
    after = subtotal - discount
    margin = money(after * margin_pct / HUNDRED)
    net = after + margin
    vat = money(net * vat_pct / HUNDRED)
    return Price(currency, items, subtotal, discount_pct, discount, after, margin_pct, margin,
                 net, vat_pct, vat, net + vat)


# --------------------------------------------------------------------------- tariff


@dataclass
class Tariff:
    currency: str
    purchase_price: Decimal  # per kWh as paid (incl. VAT unless prices_include_vat false)
    export_price: Decimal
    regime: str  # feed-in | net-billing | net-metering | zero-injection
    escalation_pct: Decimal = Decimal("2")
    export_escalation_pct: Decimal = ZERO
    vat_pct: Decimal = ZERO
    prices_include_vat: bool = True
    name: str | None = None

    @property
    def p1(self) -> Decimal:
        if self.prices_include_vat:
            return self.purchase_price
        return self.purchase_price * (ONE + self.vat_pct / HUNDRED)

    @property
    def f1(self) -> Decimal:
        return self.export_price  # export remuneration is not subject to the buyer's VAT


def tariff_from(raw: dict | None, *, default_currency: str = "EUR",
                default_escalation_pct: Any = "2") -> Tariff:
    if not raw:
        raise EngineError("tariff: the project has no tariff; set one with `solar project tariff`")
    if raw.get("purchase_price") is None:
        raise EngineError("tariff.purchase_price: missing")
    regime = str(raw.get("regime") or "feed-in")
    if regime not in REGIMES:
        raise EngineError(f"tariff.regime: {regime!r}; expected one of {', '.join(REGIMES)}")
    p = D(raw["purchase_price"], "tariff.purchase_price")
    if p < 0:
        raise EngineError(f"tariff.purchase_price: {p} must not be negative")
    f = D(raw.get("export_price", 0), "tariff.export_price")
    if f < 0:
        raise EngineError(f"tariff.export_price: {f} must not be negative")
    return Tariff(
        currency=str(raw.get("currency") or default_currency),
        purchase_price=p,
        export_price=f,
        regime=regime,
        escalation_pct=pct(raw.get("escalation_pct", default_escalation_pct), "tariff.escalation_pct", -50, 50),
        export_escalation_pct=pct(raw.get("export_escalation_pct", 0), "tariff.export_escalation_pct", -50, 50),
        vat_pct=pct(raw.get("vat_pct", 0), "tariff.vat_pct"),
        prices_include_vat=bool(raw.get("prices_include_vat", True)),
        name=raw.get("preset") or raw.get("name"),
    )


# --------------------------------------------------------------------------- cash flow


@dataclass
class Replacement:
    year: int
    cost: Decimal
    name: str = "replacement"


@dataclass
class FinanceInputs:
    investment: Decimal  # price incl. VAT
    production_kwh: float  # E_1
    self_consumed_kwh: float  # SC_1
    exported_kwh: float  # Export_1 (0 for zero injection)
    consumption_kwh: float  # annual load (net metering cap)
    tariff: Tariff
    years: int = 25
    degradation_pct: Decimal = Decimal("0.5")
    discount_rate_pct: Decimal = Decimal("4")
    om_per_year: Decimal = ZERO
    om_escalation_pct: Decimal = ZERO
    incentives: Decimal = ZERO
    replacements: list[Replacement] = field(default_factory=list)
    co2_kg_per_kwh: Decimal = ZERO


@dataclass
class FinanceResult:
    year1_savings: Decimal
    simple_payback_years: Decimal | None
    payback_years: Decimal | None
    npv: Decimal
    irr_pct: Decimal | None
    lcoe: Decimal | None
    cash_flow: list[dict]
    co2_avoided_kg: Decimal
    cf: list[Decimal]


def npv(rate: Decimal, flows: list[Decimal]) -> Decimal:
    """Σ CF_t/(1+r)^t, t from 0 (as numpy-financial ``npv``)."""
    total, factor = ZERO, ONE
    base = ONE + rate
    for cf in flows:
        total += cf / factor
        factor *= base
    return total


def irr(flows: list[Decimal]) -> Decimal | None:
    """Rate r with NPV(r) = 0, by bisection on (-99.99 %, 1000 %); None when the
    flows never change sign or no root is bracketed."""
    signs = {(cf > 0) - (cf < 0) for cf in flows if cf != 0}
    if signs != {1, -1}:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        lo, hi = Decimal("-0.9999"), Decimal("10")
        f_lo, f_hi = npv(lo, flows), npv(hi, flows)
        if f_lo == 0:
            return lo
        if (f_lo > 0) == (f_hi > 0):
            return None
        for _ in range(200):
            mid = (lo + hi) / 2
            f_mid = npv(mid, flows)
            if f_mid == 0 or hi - lo < Decimal("1e-12"):
                break
            if (f_mid > 0) == (f_lo > 0):
                lo, f_lo = mid, f_mid
            else:
                hi = mid
        return +((lo + hi) / 2)


def cash_flows(inp: FinanceInputs) -> FinanceResult:
    if inp.years < 1 or inp.years > 60:
        raise EngineError(f"finance.years: {inp.years} is outside 1-60")
    t_ = inp.tariff
    d = inp.degradation_pct / HUNDRED
    e = t_.escalation_pct / HUNDRED
    ef = t_.export_escalation_pct / HUNDRED
    r = inp.discount_rate_pct / HUNDRED
    om_e = inp.om_escalation_pct / HUNDRED
    E1 = to_decimal(inp.production_kwh)
    SC1 = to_decimal(inp.self_consumed_kwh)
    X1 = to_decimal(inp.exported_kwh) if t_.regime != "zero-injection" else ZERO
    load = to_decimal(inp.consumption_kwh)
    cf0 = -(inp.investment - inp.incentives)
    flows = [cf0]
    rows = [{
        "year": 0, "production_kwh": ZERO, "savings": ZERO, "om": ZERO,
        "replacements": ZERO, "cash_flow": cf0, "cumulative": cf0,
    }]
    cumulative = cf0
    payback = None
    disc_om = ZERO
    disc_e = ZERO
    co2 = ZERO
    repl_by_year: dict[int, Decimal] = {}
    for rep in inp.replacements:
        if not 1 <= rep.year <= inp.years:
            raise EngineError(f"finance.replacements: year {rep.year} is outside 1-{inp.years}")
        repl_by_year[rep.year] = repl_by_year.get(rep.year, ZERO) + rep.cost
    for t in range(1, inp.years + 1):
        deg = (ONE - d) ** (t - 1)
        E = E1 * deg
        p = t_.p1 * (ONE + e) ** (t - 1)
        f = t_.f1 * (ONE + ef) ** (t - 1)
        if t_.regime == "net-metering":
            value = min(E, load) * p
        else:
            value = SC1 * deg * p + X1 * deg * f
        om = inp.om_per_year * (ONE + om_e) ** (t - 1)
        repl = repl_by_year.get(t, ZERO)
        cf = value - om - repl
        prev = cumulative
        cumulative = cumulative + cf
        if payback is None and prev < 0 <= cumulative and cf > 0:
            payback = Decimal(t - 1) + (-prev) / cf
        flows.append(cf)
        disc = (ONE + r) ** t
        disc_om += om / disc
        disc_e += E / disc
        co2 += E * inp.co2_kg_per_kwh
        rows.append({
            "year": t, "production_kwh": E, "savings": value, "om": om,
            "replacements": repl, "cash_flow": cf, "cumulative": cumulative,
        })
    if cf0 >= 0:
        payback = ZERO
    cf1 = flows[1]
    simple = (-cf0 / cf1) if cf1 > 0 and cf0 < 0 else (ZERO if cf0 >= 0 else None)
    irr_rate = irr(flows)
    lcoe = ((-cf0 + disc_om) / disc_e) if disc_e > 0 else None
    return FinanceResult(
        year1_savings=rows[1]["savings"],
        simple_payback_years=simple,
        payback_years=payback,
        npv=npv(r, flows),
        irr_pct=irr_rate * HUNDRED if irr_rate is not None else None,
        lcoe=lcoe,
        cash_flow=rows,
        co2_avoided_kg=co2,
        cf=flows,
    )
