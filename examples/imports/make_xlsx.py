"""Write examples/imports/pipedrive-deals.xlsx: a Pipedrive deals export (XLSX) as
Pipedrive lays it out ("Deal - ..." and "Person - ..." columns, custom deal fields
with their labels). Run: python examples/imports/make_xlsx.py"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

HEADERS = [
    "Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency of Value", "Deal - Pipeline",
    "Deal - Stage", "Deal - Status", "Deal - Owner", "Deal - Deal created",
    "Deal - Annual consumption (kWh)", "Deal - Interests", "Deal - Building type",
    "Person - Name", "Person - Email - Work", "Person - Phone - Mobile", "Person - Organization",
    "Person - Postal address - Street/road name", "Person - Postal address - ZIP/Postal code",
    "Person - Postal address - City/town/village/locality", "Person - Postal address - Country",
]
ROWS = [
    [1201, "PV 9,8 kWp Familie Neumann", 18900, "EUR", "Vertrieb", "Qualified", "open", "Anna Schmidt",
     dt.datetime(2026, 9, 12, 10, 30), 5200, "Speicher", "Einfamilienhaus",
     "Claudia Neumann", "claudia.neumann@example.de", "0172 4455667", None,
     "Birkenweg 4", "01445", "Radebeul", "Germany"],
    [1202, "Gewerbe-PV Kaya Metallbau", 142000, "EUR", "Vertrieb", "Proposal Made", "open", "Tom Becker",
     dt.datetime(2026, 9, 20, 14, 0), 180000, "Speicher, Wallbox", "Gewerbe",
     "Serkan Kaya", "s.kaya@kaya-metallbau.de", "0171 9988771", "Kaya Metallbau GmbH",
     "Gewerbepark 12", "38112", "Braunschweig", "Germany"],
    [1203, "PV + Wärmepumpe Lehmann", 31500.5, "EUR", "Vertrieb", "Contact Made", "open", "Anna Schmidt",
     dt.datetime(2026, 10, 1, 9, 15), 4300, "Wärmepumpe", "Einfamilienhaus",
     "Björn Lehmann", "bjoern.lehmann@example.de", "+49 160 2233445", None,
     "Seestraße 88", "24103", "Kiel", "Germany"],
    [1204, "Hofanlage Petersen", 64000, "EUR", "Vertrieb", "Lead In", "open", None,
     dt.datetime(2026, 10, 7, 16, 45), 72000, None, "Landwirtschaft",
     "Inge Petersen", "petersen-hof@example.de", "04841 66554", "Hof Petersen",
     "Marschweg 1", "25813", "Husum", "Germany"],
]


def main(path: Path | None = None) -> Path:
    path = path or Path(__file__).with_name("pipedrive-deals.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deals"
    ws.append(HEADERS)
    for row in ROWS:
        ws.append(row)
    notes = wb.create_sheet("Export info")
    notes.append(["Exported from Pipedrive", "2026-10-20"])
    wb.save(path)
    return path


if __name__ == "__main__":
    print(main())
