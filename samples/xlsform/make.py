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


def sheet(columns, rows):
    """A sheet from rows given as {column: value} (columns absent from a row are empty cells)."""
    return [columns] + [[r.get(c) for c in columns] for r in rows]


def q(type, name=None, fr=None, en=None, bm=None, **cells):
    row = {"type": type, "name": name, "label::Français (fr)": fr, "label::English (en)": en, "label::Bambara (bm)": bm}
    for k, v in cells.items():
        row[{"hint": "hint::Français (fr)", "constraint_message": "constraint_message::Français (fr)",
             "required_message": "required_message::Français (fr)"}.get(k, k)] = v
    return row


# A household survey after a dialogue, with every XLSForm feature Palabre reads: metadata, notes, groups with skip
# logic, a repeat whose count comes from an answer, cascading selects (region → cercle), or_other, a range, times,
# calculations with the expression functions real forms use, and labels in three languages (Bambara among them).
S = ["type", "name", "label::Français (fr)", "label::English (en)", "label::Bambara (bm)", "hint::Français (fr)",
     "required", "required_message::Français (fr)", "relevant", "constraint", "constraint_message::Français (fr)",
     "calculation", "choice_filter", "read_only", "repeat_count", "appearance", "parameters", "default"]
survey = sheet(S, [
    q("start", "started"),
    q("end", "ended"),
    q("today", "day"),
    q("deviceid", "device"),
    q("note", "welcome", "Bienvenue : cette enquête suit le dialogue du village.",
      "Welcome: this survey follows up the village dialogue.", "I ni ce: nin ɲininkali in bɛ dugu kuma tugu."),
    q("acknowledge", "consent_read", "J'ai lu le consentement à la personne interrogée",
      "I read the consent statement to the respondent", "N ye sɔnni kalan", required="yes",
      required_message="Lisez le consentement avant de commencer"),
    q("begin group", "lieu", "Lieu", "Place", "Yɔrɔ"),
    q("select_one regions", "region", "Région", "Region", "Mara", required="yes"),
    q("select_one cercles", "cercle", "Cercle", "Cercle", "Serikili", choice_filter="region=${region}"),
    q("text", "village", "Village ou quartier", "Village or neighbourhood", "Dugu",
      hint="Tel que les habitants le nomment", required="yes"),
    q("end group"),
    q("date", "dialogue_date", "Date du dialogue", "Date of the dialogue", "Kuma don", constraint=". <= today()",
      constraint_message="La date ne peut pas être dans le futur"),
    q("time", "arrival", "Heure d'arrivée", "Arrival time", "Sera waati"),
    q("datetime", "next_visit", "Prochaine visite", "Next visit", "Bɔli nata"),
    q("integer", "household_size", "Nombre de personnes du ménage", "Household size", "Mɔgɔ hakɛ", required="yes",
      constraint=". > 0 and . < 100", constraint_message="Entre 1 et 99 personnes"),
    q("integer", "members_listed", "Combien de membres allez-vous lister ?", "How many members will you list?",
      "Mɔgɔ joli bɛ sɛbɛn?", constraint=". >= 0 and . <= ${household_size}",
      constraint_message="Pas plus que la taille du ménage", default="0"),
    q("select_multiple themes or_other", "themes", "Thèmes abordés", "Themes discussed", "Kuma minnu fɔra"),
    q("calculate", "theme_count", calculation="count-selected(${themes})"),
    q("calculate", "first_theme", calculation="selected-at(${themes}, 0)"),
    q("calculate", "region_name", calculation="jr:choice-name(${region}, '${region}')"),
    q("calculate", "summary", calculation="concat(${village}, ' (', ${region_name}, '): ', string(${theme_count}), ' thème(s)')"),
    q("calculate", "large", calculation="if(${household_size} >= 8, 'oui', 'non')"),
    q("range", "satisfaction", "Satisfaction (1 à 5)", "Satisfaction (1 to 5)", "Dusudiya", parameters="start=1 end=5 step=1"),
    q("text", "programme", "Programme", "Programme", "Porogaramu", read_only="yes", default="Vestibules de la paix"),
    q("note", "recap", "Ménage de ${village} : ${household_size} personnes.", "Household of ${village}: ${household_size} people.",
      "${village} somɔgɔw: ${household_size}."),
    q("begin group", "securite", "Sécurité", "Security", "Lafiya", relevant="${household_size} > 1"),
    q("select_one yes_no", "incident", "Un incident depuis le dialogue ?", "An incident since the dialogue?",
      "Kɛlɛ dɔ kɛra wa?", required="yes", default="no"),
    q("text", "incident_details", "Lequel ?", "Which one?", "Jumɛn?", relevant="${incident} = 'yes'",
      constraint="string-length(.) <= 200"),
    q("end group"),
    q("begin repeat", "member", "Membre du ménage", "Household member", "Somɔgɔ", repeat_count="${members_listed}",
      relevant="${members_listed} > 0"),
    q("text", "member_name", "Prénom", "First name", "Tɔgɔ", required="yes"),
    q("select_one sexes", "sex", "Sexe", "Sex", "Cɛ walima muso", required="yes"),
    q("integer", "age", "Âge", "Age", "Si", constraint=". >= 0 and . <= 120", constraint_message="Entre 0 et 120 ans"),
    q("calculate", "age_group", calculation="if(${age} < 18, 'mineur', 'adulte')"),
    q("end repeat"),
    q("geopoint", "gps", "Position", "Location", "Yɔrɔ jira"),
])
C = ["list_name", "name", "label::Français (fr)", "label::English (en)", "label::Bambara (bm)", "region"]
choices = [
    C,
    ["regions", "gao", "Gao", "Gao", "Gao"],
    ["regions", "tombouctou", "Tombouctou", "Timbuktu", "Tumutu"],
    ["regions", "menaka", "Ménaka", "Ménaka", "Menaka"],
    ["cercles", "gao", "Gao", "Gao", "Gao", "gao"],
    ["cercles", "ansongo", "Ansongo", "Ansongo", "Ansongo", "gao"],
    ["cercles", "bourem", "Bourem", "Bourem", "Burɛmu", "gao"],
    ["cercles", "tombouctou", "Tombouctou", "Timbuktu", "Tumutu", "tombouctou"],
    ["cercles", "goundam", "Goundam", "Goundam", "Gundamu", "tombouctou"],
    ["cercles", "menaka", "Ménaka", "Ménaka", "Menaka", "menaka"],
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
