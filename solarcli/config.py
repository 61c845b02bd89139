"""``solar.yaml``: the settings of one records repository.

Company profile, currency, locale, phone region, users/teams/partners, pipelines and the
presets other parts of solar read (tariffs, cost presets, offer settings). ``Config`` gives
typed access; ``DEFAULT_CONFIG_YAML`` is what ``solar init`` writes (commented, so a
person can edit it by hand).
"""
from __future__ import annotations

import re
from pathlib import Path

from solarcli.errors import ValidationError
from solarcli.storage import yamlio

CONFIG_FILE = "solar.yaml"

DEFAULT_LEAD_PIPELINE = {
    "stages": ["new", "contacted", "qualified", "converted", "lost"],
    "terminal": ["converted", "lost"],
    "reason_required": ["lost"],
}
DEFAULT_PROJECT_PIPELINE = {
    "stages": ["design", "proposal", "negotiation", "won", "lost", "permitting", "installation", "commissioned"],
    "terminal": ["lost", "commissioned"],
    "reason_required": ["lost"],
    # stage a project moves to when a proposal is marked sent / accepted (issue 5)
    "on_proposal_sent": "proposal",
    "on_proposal_accepted": "won",
}
KNOWN_SOURCES = ["manual", "web form", "import", "referral", "phone", "email", "event", "partner", "advertising"]

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower()).strip("-")
    return s or "user"


def default_config_yaml(*, company: str, currency: str, locale: str, user: dict | None) -> str:
    """The commented ``solar.yaml`` written by ``solar init``."""
    region = locale.split("_")[1] if "_" in locale else "DE"
    users = ""
    if user:
        users = f"  - id: {user['id']}\n    name: {_q(user['name'])}\n    email: {_q(user['email'])}\n    active: true\n"
    users_block = users if users else "  []\n"
    return f"""\
# solar.yaml: settings of this solarcli records repository. Edit by hand; solar validates it.
company:
  name: {_q(company)}
  tax_id: ''          # VAT / tax number printed on proposals
  website: ''
  phone: ''
  email: ''
  address:
    street: ''
    postcode: ''
    city: ''
    country: {region}
  logo: ''            # path of an image inside this repository (png/svg/jpg)
  colors:
    primary: '#f59e0b'
    secondary: '#1f2937'
currency: {currency}
locale: {locale}
phone_region: {region}   # phone numbers without +country code are read as this region
country: {region}        # default country for sites and the CO2 factor

# Who can be an assignee: user:ID, team:NAME, partner:NAME (unassigned records belong to headquarters).
users:
{users_block}teams:
  - name: sales
    active: true
partners: []

# Sales pipelines. Terminal stages end the pipeline; stages in reason_required need --reason.
pipelines:
  lead:
    stages: [new, contacted, qualified, converted, lost]
    terminal: [converted, lost]
    reason_required: [lost]
  project:
    stages: [design, proposal, negotiation, won, lost, permitting, installation, commissioned]
    terminal: [lost, commissioned]
    reason_required: [lost]
    on_proposal_sent: proposal
    on_proposal_accepted: won

# Known lead sources (free text is allowed too; these are suggested and used by imports).
sources: [manual, web form, import, referral, phone, email, event, partner, advertising]
"""


def _q(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class Config:
    """Typed access to ``solar.yaml``."""

    def __init__(self, data: dict, path: Path | None = None):
        self.data = data or {}
        self.path = path

    @classmethod
    def load(cls, root: Path) -> "Config":
        path = Path(root) / CONFIG_FILE
        data = yamlio.load_fast(path, name=CONFIG_FILE)
        if not isinstance(data, dict):
            raise ValidationError(f"{CONFIG_FILE}: expected a mapping of settings, found {type(data).__name__}")
        cfg = cls(data, path)
        cfg.validate()
        return cfg

    # --- simple settings -------------------------------------------------------------
    @property
    def company(self) -> dict:
        return self.data.get("company") or {}

    @property
    def currency(self) -> str:
        return str(self.data.get("currency") or "EUR")

    @property
    def locale(self) -> str:
        return str(self.data.get("locale") or "en_US")

    @property
    def phone_region(self) -> str:
        return str(self.data.get("phone_region") or self.country)

    @property
    def country(self) -> str:
        return str(self.data.get("country") or (self.locale.split("_")[1] if "_" in self.locale else "DE"))

    @property
    def sources(self) -> list[str]:
        return [str(s) for s in (self.data.get("sources") or KNOWN_SOURCES)]

    # --- pipelines ------------------------------------------------------------------
    def pipeline(self, kind: str) -> dict:
        default = DEFAULT_LEAD_PIPELINE if kind == "lead" else DEFAULT_PROJECT_PIPELINE
        p = ((self.data.get("pipelines") or {}).get(kind)) or {}
        merged = dict(default)
        merged.update({k: v for k, v in p.items() if v is not None})
        return merged

    def stages(self, kind: str) -> list[str]:
        return [str(s) for s in self.pipeline(kind)["stages"]]

    def terminal_stages(self, kind: str) -> list[str]:
        return [str(s) for s in self.pipeline(kind).get("terminal") or []]

    def reason_required(self, kind: str) -> list[str]:
        return [str(s) for s in self.pipeline(kind).get("reason_required") or []]

    def check_stage(self, kind: str, stage: str, *, where: str = "") -> str:
        stages = self.stages(kind)
        if stage not in stages:
            raise ValidationError(
                f"{where}stage: unknown {kind} stage {stage!r}; expected one of {', '.join(stages)} (solar.yaml pipelines.{kind})"
            )
        return stage

    # --- people ---------------------------------------------------------------------
    def users(self) -> list[dict]:
        return [u for u in (self.data.get("users") or []) if isinstance(u, dict)]

    def find_user(self, name: str) -> dict | None:
        n = name.strip().lower()
        for u in self.users():
            if str(u.get("id", "")).lower() == n or str(u.get("name", "")).lower() == n \
                    or str(u.get("email", "")).lower() == n:
                return u
        return None

    def assignees(self) -> list[str]:
        out = [f"user:{u.get('id')}" for u in self.users()]
        out += [f"team:{t.get('name')}" for t in (self.data.get("teams") or []) if isinstance(t, dict)]
        out += [f"partner:{p.get('name')}" for p in (self.data.get("partners") or []) if isinstance(p, dict)]
        return out

    def check_assignee(self, who: str, *, where: str = "", allow_suspended: bool = False) -> str:
        """Validate ``user:ID``, ``team:NAME`` or ``partner:NAME`` (a bare name means user).
        Suspended ones are refused for new assignments, accepted (``allow_suspended``) for
        filters and for records that were assigned before the suspension."""
        value = str(who).strip()
        if ":" not in value:
            value = f"user:{value}"
        kind, _, name = value.partition(":")
        if kind not in ("user", "team", "partner"):
            raise ValidationError(f"{where}assignee: {who!r} has an unknown kind {kind!r}; expected user:NAME, team:NAME or partner:NAME")
        if kind == "user":
            u = self.find_user(name)
            if u is None:
                raise ValidationError(
                    f"{where}assignee: no user {name!r} in solar.yaml; expected one of {', '.join(self.assignees()) or '(none defined)'}"
                )
            if u.get("active") is False and not allow_suspended:
                raise ValidationError(f"{where}assignee: user {name!r} is suspended in solar.yaml")
            return f"user:{u.get('id')}"
        entries = [e for e in (self.data.get(kind + "s") or []) if isinstance(e, dict)]
        for e in entries:
            if str(e.get("name", "")).lower() == name.lower():
                if e.get("active") is False and not allow_suspended:
                    raise ValidationError(f"{where}assignee: {kind} {name!r} is suspended in solar.yaml")
                return f"{kind}:{e.get('name')}"
        raise ValidationError(
            f"{where}assignee: no {kind} {name!r} in solar.yaml; expected one of {', '.join(self.assignees()) or '(none defined)'}"
        )

    # --- validation of the file itself ----------------------------------------------
    def validate(self) -> None:
        for kind in ("lead", "project"):
            p = self.pipeline(kind)
            stages = p.get("stages")
            if not isinstance(stages, list) or not stages:
                raise ValidationError(f"{CONFIG_FILE}: pipelines.{kind}.stages must be a non-empty list")
            for key in ("terminal", "reason_required"):
                for s in p.get(key) or []:
                    if s not in stages:
                        raise ValidationError(
                            f"{CONFIG_FILE}: pipelines.{kind}.{key} names {s!r}, which is not in pipelines.{kind}.stages"
                        )
        for i, u in enumerate(self.data.get("users") or []):
            if not isinstance(u, dict) or not u.get("id"):
                raise ValidationError(f"{CONFIG_FILE}: users[{i}] needs an 'id' (found {u!r})")
