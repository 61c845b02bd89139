#!/usr/bin/env bash
# Regenerates the example proposal in examples/proposal/ (HTML and PDF, German and English)
# from a fresh records repository, using only solar commands:
#
#   bash examples/make_proposal.sh            (needs `solar` on PATH, or SOLAR=/path/to/solar)
#
# Company profile with logo and brand colours, a customer, a 9.9 kWp + 10.2 kWh project
# with entered production (PVGIS monthly values), consumption, tariff and bill of materials.
# The proposal dates are today's, so numbers stay the same but dates move.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/proposal
solar=${SOLAR:-solar}
command -v "$solar" >/dev/null || { echo "make_proposal: '$solar' not found; install solarcli first" >&2; exit 1; }
repo=$(mktemp -d)/records
trap 'rm -rf "$(dirname "$repo")"' EXIT
export GIT_AUTHOR_NAME="Lena Vogt" GIT_AUTHOR_EMAIL=lena@sonnenwerk.example
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="$GIT_AUTHOR_NAME" \
       GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1="$GIT_AUTHOR_EMAIL"

"$solar" init "$repo" --company "Sonnenwerk Freiburg GmbH" --currency EUR --locale de_DE >/dev/null 2>&1
export SOLAR_REPO=$repo
cp "$out/logo.svg" "$repo/logo.svg"
python3 - "$repo/solar.yaml" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p, encoding="utf-8").read()
for key, value in (("tax_id", "DE 812 345 678"), ("website", "www.sonnenwerk.example"),
                   ("phone", "+49 761 456 7890"), ("email", "angebot@sonnenwerk.example"), ("logo", "logo.svg")):
    s = re.sub(rf"(\n  {key}: )''", rf"\g<1>'{value}'", s, count=1)
s = s.replace("    street: ''\n    postcode: ''\n    city: ''",
              "    street: 'Wiesentalstraße 12'\n    postcode: '79115'\n    city: 'Freiburg im Breisgau'", 1)
s = s.replace("primary: '#f59e0b'", "primary: '#f59e0b'").replace("secondary: '#1f2937'", "secondary: '#1f3a5f'")
open(p, "w", encoding="utf-8").write(s)
PY
git -C "$repo" add -A && git -C "$repo" commit -qm "company profile and logo"

contact=$("$solar" contact add "Anna Schneider" --email anna.schneider@example.com --phone "0761 234567" \
          --street "Lindenweg 4" --postcode 79100 --city "Freiburg im Breisgau" 2>/dev/null)
project=$("$solar" project add "Einfamilienhaus Schneider" --contact "$contact" --street "Lindenweg 4" \
          --postcode 79100 --city "Freiburg im Breisgau" --lat 47.99 --lon 7.84 --facility residential \
          --grid on-grid 2>/dev/null)
# entered production (tier 1): PVGIS 5.3 monthly values for 9.9 kWp, 35°, south, Freiburg
"$solar" design add "$project" south-battery --module "Trina Vertex S+ TSM-450NEG9R.28" --module-wp 450 \
    --count 22 --tilt 35 --azimuth 180 --inverter "Fronius Symo GEN24 10.0 Plus" --inverter-kw 10 \
    --inverter-eff 97.6 --battery-kwh 10.2 --battery-kw 5 --battery-eff 92 \
    --monthly-kwh 294,460,813,1096,1263,1282,1302,1126,881,627,362,284 \
    --tool "PVGIS 5.3 (SARAH-3), Freiburg im Breisgau" >/dev/null 2>&1
"$solar" project consumption "$project" --annual 5200 --profile family-day >/dev/null 2>&1
"$solar" project tariff "$project" --purchase 0.385 --export 0.0811 --regime feed-in --escalation 2 >/dev/null 2>&1
# modules, inverter and battery come into the BOM from the design, at these prices
"$solar" design set "$project" south-battery prices.module=118 prices.inverter=2390 prices.battery=5480 \
    battery.name="BYD Battery-Box Premium HVS 10.2" >/dev/null 2>&1
bom() { "$solar" bom add "$project" "$@" >/dev/null 2>&1; }
bom "Montagesystem Schrägdach (K2 SingleRail)" --pricing per-watt --price 0.09 --unit Wp --category mounting
bom "DC-Verkabelung, Stecker, Überspannungsschutz" --pricing set --price 640 --category electrical --hidden
bom "Montage und Inbetriebnahme" --pricing set --price 2450 --category labour
bom "Gerüst" --pricing set --price 480 --category labour
bom "Netzanmeldung (Marktstammdatenregister, Netzbetreiber)" --pricing set --price 190 --category service
"$solar" bom set "$project" --discount 5 --margin 12 --vat 0 >/dev/null 2>&1

mkdir -p "$out"
"$solar" project proposal "$project" --lang de --to html -o "$out/proposal-de.html" >/dev/null
"$solar" project proposal "$project" --lang de --to pdf -o "$out/proposal-de.pdf" >/dev/null
"$solar" project proposal "$project" --lang en --to html -o "$out/proposal-en.html" >/dev/null
"$solar" project proposal "$project" --lang tr --to md -o "$out/proposal-tr.md" >/dev/null
ls -l "$out" >&2
