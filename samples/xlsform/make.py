#!/usr/bin/env python3
"""Writes the sample XLSForms (samples/xlsform/*.xlsx) with openpyxl, as a programme's spreadsheet would be.

    python3 -m venv /tmp/xv && /tmp/xv/bin/pip install openpyxl && /tmp/xv/bin/python samples/xlsform/make.py

They are checked in; this script says exactly what they hold. pyxform (the reference XLSForm converter) reads them
without error: `xls2xform samples/xlsform/enquete_menage.xlsx /tmp/out.xml`.
"""
import os
from openpyxl import Workbook

here = os.path.dirname(os.path.abspath(__file__))


def book(path, survey, choices, settings):
    wb = Workbook()
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        ws = wb.active if name == "survey" else wb.create_sheet(name)
        ws.title = name
        for row in rows:
            ws.append(row)
    wb.save(os.path.join(here, path))


# A household survey after a dialogue: groups, a repeat (household members), or_other, a range, three languages.
S = ["type", "name", "label::Français (fr)", "label::English (en)", "label::Bambara (bm)", "hint::Français (fr)",
     "required", "relevant", "constraint", "constraint_message::Français (fr)", "parameters", "default"]
survey = [
    S,
    ["begin group", "lieu", "Lieu", "Place", "Yɔrɔ", None, None, None, None, None, None, None],
    ["select_one regions", "region", "Région", "Region", "Mara", None, "yes", None, None, None, None, None],
    ["text", "village", "Village ou quartier", "Village or neighbourhood", "Dugu", "Tel que les habitants le nomment",
     "yes", None, None, None, None, None],
    ["end group", None, None, None, None, None, None, None, None, None, None, None],
    ["integer", "household_size", "Nombre de personnes du ménage", "Household size", "Mɔgɔ hakɛ", None, "yes", None,
     ". > 0 and . < 100", "Entre 1 et 99 personnes", None, None],
    ["select_multiple themes or_other", "themes", "Thèmes abordés", "Themes discussed", "Kuma minnu fɔra", None, None,
     None, None, None, None, None],
    ["range", "satisfaction", "Satisfaction (1 à 5)", "Satisfaction (1 to 5)", "Dusudiya", None, None, None, None,
     None, "start=1 end=5 step=1", None],
    ["begin group", "securite", "Sécurité", "Security", "Lafiya", None, None, "${household_size} > 1", None, None,
     None, None],
    ["select_one yes_no", "incident", "Un incident depuis le dialogue ?", "An incident since the dialogue?",
     "Kɛlɛ dɔ kɛra wa?", None, "yes", None, None, None, None, "no"],
    ["text", "incident_details", "Lequel ?", "Which one?", "Jumɛn?", None, None, "${incident} = 'yes'", None, None,
     None, None],
    ["end group", None, None, None, None, None, None, None, None, None, None, None],
    ["begin repeat", "member", "Membre du ménage", "Household member", "Somɔgɔ", None, None, None, None, None, None,
     None],
    ["text", "member_name", "Prénom", "First name", "Tɔgɔ", None, "yes", None, None, None, None, None],
    ["select_one sexes", "sex", "Sexe", "Sex", "Cɛ walima muso", None, "yes", None, None, None, None, None],
    ["integer", "age", "Âge", "Age", "Si", None, None, None, ". >= 0 and . <= 120", "Entre 0 et 120 ans", None, None],
    ["end repeat", None, None, None, None, None, None, None, None, None, None, None],
    ["geopoint", "gps", "Position", "Location", "Yɔrɔ jira", None, None, None, None, None, None, None],
]
C = ["list_name", "name", "label::Français (fr)", "label::English (en)", "label::Bambara (bm)"]
choices = [
    C,
    ["regions", "gao", "Gao", "Gao", "Gao"],
    ["regions", "tombouctou", "Tombouctou", "Timbuktu", "Tumutu"],
    ["regions", "menaka", "Ménaka", "Ménaka", "Menaka"],
    ["themes", "water", "Eau", "Water", "Ji"],
    ["themes", "land", "Foncier", "Land", "Dugukolo"],
    ["themes", "security", "Sécurité", "Security", "Lafiya"],
    ["yes_no", "yes", "Oui", "Yes", "Ɔwɔ"],
    ["yes_no", "no", "Non", "No", "Ayi"],
    ["sexes", "female", "Femme", "Female", "Muso"],
    ["sexes", "male", "Homme", "Male", "Cɛ"],
]
settings = [
    ["form_id", "form_title", "version", "default_language"],
    ["enquete_menage", "Enquête ménage après dialogue", 3, "Français (fr)"],
]
book("enquete_menage.xlsx", survey, choices, settings)

# A form with a type Palabre cannot capture (a photo) on row 3: refused by name, never dropped.
book(
    "photo.xlsx",
    [["type", "name", "label"], ["text", "title", "Title"], ["image", "photo", "Photo of the well"]],
    [["list_name", "name", "label"]],
    [["form_id", "version"], ["photo", 1]],
)
