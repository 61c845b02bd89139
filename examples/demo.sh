#!/usr/bin/env bash
# solarcli demo: the whole workflow on the sample data in examples/.
#
#   bash examples/demo.sh [DIR]        (DIR defaults to ./demo-records; it is recreated)
#
# 1. create a records repository            (solar init)
# 2. import leads from a HubSpot export, a Salesforce report (cp1252, ';') and a web form
# 3. qualify one lead and convert it into a project
# 4. design the system, set the tariff and the bill of materials
# 5. estimate production, energy balance and financials
# 6. render the customer proposal (HTML and PDF) and mark it sent
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$PWD/demo-records}
solar=${SOLAR:-solar}
command -v "$solar" >/dev/null || { echo "demo: '$solar' not found; install solarcli first (see README Quick start)" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

rm -rf "$out"
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-Anna Schmidt} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-anna@sonnendach.example}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
git config --global user.name >/dev/null 2>&1 || export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name \
  GIT_CONFIG_VALUE_0="$GIT_AUTHOR_NAME" GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1="$GIT_AUTHOR_EMAIL"

say "1. solar init"
"$solar" init "$out" --company "Sonnendach Energie GmbH" --currency EUR --locale de_DE >/dev/null
export SOLAR_REPO=$out
# a second user and the sales team for assignments
python3 - "$out/solar.yaml" <<'PY'
import sys, re
p = sys.argv[1]; s = open(p, encoding="utf-8").read()
s = s.replace("teams:\n", "  - id: anna\n    name: 'Anna Schmidt'\n    email: 'anna@sonnendach.example'\n    active: true\n  - id: tom\n    name: 'Tom Becker'\n    email: 'tom@sonnendach.example'\n    active: true\nteams:\n", 1)
s = s.replace("  name: 'Sonnendach Energie GmbH'", "  name: 'Sonnendach Energie GmbH'", 1)
s = re.sub(r"tax_id: ''", "tax_id: 'DE 123 456 789'", s, count=1)
s = re.sub(r"website: ''", "website: 'www.sonnendach.example'", s, count=1)
s = re.sub(r"phone: ''", "phone: '+49 341 555 0100'", s, count=1)
s = re.sub(r"email: ''", "email: 'angebot@sonnendach.example'", s, count=1)
s = s.replace("    street: ''\n    postcode: ''\n    city: ''", "    street: 'Sonnenallee 1'\n    postcode: '04103'\n    city: 'Leipzig'", 1)
open(p, "w", encoding="utf-8").write(s)
PY
git -C "$out" commit -qam "company profile and users"

say "2. import leads (HubSpot CSV, Salesforce report in cp1252, web form NDJSON)"
"$solar" lead import "$here/imports/hubspot-contacts.csv"
"$solar" lead import "$here/imports/salesforce-leads-report.csv" --encoding cp1252
"$solar" lead import "$here/imports/webform-leads.ndjson"
"$solar" lead import "$here/imports/webform-leads.ndjson"     # again: nothing changes, no commit
"$solar" lead list

say "3. qualify a lead and convert it into a project"
lead=$("$solar" lead list --search "Stefan Braun" --format json | json_field '[0]["id"]')
"$solar" lead stage "$lead" contacted
"$solar" note add "$lead" "Called: south roof 50 m², 35° tilt, wants a battery. Site visit booked."
"$solar" activity add "$lead" --type site-visit --summary "Measure roof and meter cabinet" --due +3d >/dev/null
"$solar" lead stage "$lead" qualified
project=$("$solar" lead convert "$lead" --name "PV 9.9 kWp + battery, Braun, Leipzig")
"$solar" project set "$project" site.lat=51.34 site.lon=12.37 facility=residential grid=on-grid

say "4. design, consumption, tariff, bill of materials"
# entered production (tier 1): monthly kWh from PVGIS for 9.9 kWp, 35°, south, Leipzig
"$solar" design add "$project" basic --module "Aiko Neostar 450" --module-wp 450 --count 22 --tilt 35 --azimuth 180 \
    --inverter "Fronius Symo GEN24 8.0" --inverter-kw 8 \
    --monthly-kwh 310,480,790,1080,1200,1210,1230,1080,850,590,330,250 --tool "PVGIS 5.3 (SARAH3)"
"$solar" design add "$project" battery --from basic --battery-kwh 10.2 --battery-kw 5
"$solar" project consumption "$project" --annual 5200 --profile family-day
"$solar" project tariff "$project" --preset de-household-feed-in
"$solar" bom apply-preset "$project" main
"$solar" bom apply-preset "$project" battery

say "5. estimate (current design: battery)"
"$solar" project estimate "$project"

say "6. proposal (HTML and PDF), marked sent"
html=$("$solar" project proposal "$project" --lang de --to html)
pdf=$("$solar" project proposal "$project" --lang de --to pdf 2>/dev/null) || pdf="(PDF skipped: WeasyPrint needs the Pango system library)"
proposal=$("$solar" proposal list "$project" --format json | json_field '[-1]["id"]')
"$solar" proposal mark "$proposal" sent --note "sent by e-mail"

cat <<MSG

Done. Where to look:
  records repository   $out            (git log --oneline; one commit per change)
  leads                solar --repo $out lead list      /  solar --repo $out lead board --all-stages
  converted lead       solar --repo $out show $lead
  project + estimate   solar --repo $out project estimate $project
  proposal (HTML)      $html
  proposal (PDF)       $pdf
  proposals            solar --repo $out proposal list
MSG
