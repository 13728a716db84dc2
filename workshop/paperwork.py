"""The SmartCat corpus's document types: what each German document says and how it is laid out.

Each type is a function `(sheet, person, rng) -> None` that writes one document (one or more
pages) onto a `Sheet`. Every document carries the same kinds of details (names, addresses, dates,
amounts in euros, IBANs), and the near-duplicates share their vocabulary on purpose: a payslip and
a salary certificate both list gross pay and income tax; a tax assessment names the wages too; a
purchase contract quotes the land register; an exposé quotes the price and the plot. Telling them
apart takes more than one keyword, which is what the lesson is about.
"""

# ruff: noqa: E501 - the documents' German prose and field lists read better unbroken

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker
from fpdf import FPDF

MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]
JOBS = [
    "Sachbearbeiterin",
    "Softwareentwickler",
    "Industriemechaniker",
    "Pflegefachkraft",
    "Vertriebsleiter",
    "Projektmanagerin",
    "Elektroniker",
    "Lehrerin",
    "Bankkaufmann",
    "Architektin",
    "Lagerist",
    "Steuerfachangestellte",
    "Ingenieur",
    "Erzieherin",
]
BANKS = [
    "Sparkasse",
    "Volksbank",
    "Commerzbank",
    "Deutsche Bank",
    "Postbank",
    "GLS Bank",
    "Raiffeisenbank",
    "Hypovereinsbank",
    "Targobank",
    "PSD Bank",
]
CITIES = [
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt am Main",
    "Stuttgart",
    "Düsseldorf",
    "Leipzig",
    "Dortmund",
    "Essen",
    "Bremen",
    "Dresden",
    "Hannover",
    "Nürnberg",
    "Freiburg",
    "Münster",
    "Augsburg",
    "Bonn",
    "Mannheim",
    "Karlsruhe",
    "Kiel",
    "Rostock",
    "Potsdam",
]


def euro(amount: float, sign: bool = False) -> str:
    """1234.5 -> '1.234,50 €' (German grouping and decimal comma)."""
    text = f"{abs(amount):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    prefix = "-" if amount < 0 else ("+" if sign else "")
    return f"{prefix}{text} €"


def number(amount: float) -> str:
    return euro(amount)[:-2]


def day(d: date) -> str:
    return d.strftime("%d.%m.%Y")


@dataclass
class Person:
    """The customer whose paperwork it is: the same kinds of details appear in every document."""

    first: str
    last: str
    birth: date
    street: str
    postcode: str
    city: str
    iban: str
    bic: str
    bank: str
    employer: str
    employer_street: str
    employer_city: str
    job: str
    gross: float  # monthly gross salary
    tax_class: int
    tax_id: str
    today: date

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @classmethod
    def fake(cls, faker: Faker, rng: random.Random) -> Person:
        today = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
        return cls(
            first=faker.first_name(),
            last=faker.last_name(),
            birth=today - timedelta(days=rng.randrange(22 * 365, 62 * 365)),
            street=faker.street_address(),
            postcode=faker.postcode(),
            city=rng.choice(CITIES),
            iban=faker.iban(),
            bic=faker.swift(length=11),
            bank=rng.choice(BANKS),
            employer=faker.company(),
            employer_street=faker.street_address(),
            employer_city=f"{faker.postcode()} {rng.choice(CITIES)}",
            job=rng.choice(JOBS),
            gross=round(rng.uniform(2400, 8200), 2),
            tax_class=rng.choice([1, 1, 3, 4, 4, 5]),
            tax_id=" ".join(str(rng.randrange(10, 99)) + str(rng.randrange(100, 999)) for _ in range(2))
            + f" {rng.randrange(100, 999)}",
            today=today,
        )

    @property
    def address(self) -> list[str]:
        return [self.name, self.street, f"{self.postcode} {self.city}"]


class Sheet:
    """An fpdf2 document with a randomly chosen house style: font, sizes, margins, letterhead."""

    def __init__(self, pdf: FPDF, rng: random.Random, families: list[str]):
        self.pdf, self.rng = pdf, rng
        self.family = rng.choice(families)
        self.size = rng.choice([8.5, 9, 9.5, 10, 10.5, 11])
        self.line = self.size * 0.5
        self.align = rng.choice(["L", "R", "C"])
        self.accent = rng.choice([(0, 0, 0), (20, 60, 120), (120, 20, 30), (30, 90, 60), (80, 80, 80)])
        margin = rng.uniform(14, 26)
        pdf.set_margins(margin, rng.uniform(12, 22), margin)
        pdf.set_auto_page_break(True, margin=rng.uniform(16, 24))
        self.footer_text = ""
        pdf.footer = self._footer  # fpdf2 calls it on each page
        self.new_page()

    @property
    def width(self) -> float:
        return self.pdf.epw

    def _footer(self) -> None:
        pdf = self.pdf
        pdf.set_y(-13)
        pdf.set_font(self.family, "", self.size - 2)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(0, 4, f"{self.footer_text}   Seite {pdf.page_no()} von {{nb}}".strip(), align="C")
        pdf.set_text_color(0, 0, 0)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.font()

    def font(self, style: str = "", delta: float = 0) -> None:
        self.pdf.set_font(self.family, style, self.size + delta)

    def gap(self, mm: float | None = None) -> None:
        self.pdf.ln(self.line if mm is None else mm)

    def letterhead(self, name: str, lines: list[str]) -> None:
        pdf = self.pdf
        pdf.set_text_color(*self.accent)
        self.font("B", self.rng.choice([4, 5, 6, 7]))
        pdf.cell(0, self.line * 2, name, align=self.align, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        self.font("", -1.5)
        pdf.cell(0, self.line, " · ".join(lines), align=self.align, new_x="LMARGIN", new_y="NEXT")
        if self.rng.random() < 0.6:
            pdf.set_draw_color(*self.accent)
            pdf.set_line_width(self.rng.choice([0.2, 0.5, 1.0]))
            pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + self.width, pdf.get_y() + 1)
            pdf.set_draw_color(0, 0, 0)
            pdf.set_line_width(0.2)
        self.gap(self.rng.uniform(4, 10))
        self.font()

    def address_block(self, lines: list[str], sender: str | None = None) -> None:
        pdf = self.pdf
        x = pdf.l_margin + (self.width * 0.5 if self.rng.random() < 0.25 else 0)
        if sender:
            self.font("", -2.5)
            pdf.set_x(x)
            pdf.cell(0, self.line * 0.8, sender, new_x="LMARGIN", new_y="NEXT")
        self.font()
        for line in lines:
            pdf.set_x(x)
            pdf.cell(0, self.line, line, new_x="LMARGIN", new_y="NEXT")
        self.gap(self.rng.uniform(4, 9))

    def title(self, text: str, sub: str | None = None) -> None:
        self.font("B", self.rng.choice([2, 3, 4, 5]))
        self.pdf.multi_cell(
            0, self.line * 1.6, text, align=self.rng.choice(["L", "L", "C"]), new_x="LMARGIN", new_y="NEXT"
        )
        if sub:
            self.font("", 0)
            self.pdf.multi_cell(0, self.line, sub, new_x="LMARGIN", new_y="NEXT")
        self.gap()
        self.font()

    def heading(self, text: str) -> None:
        self.gap(self.line * 0.5)
        self.font("B", 1)
        self.pdf.multi_cell(0, self.line * 1.2, text, new_x="LMARGIN", new_y="NEXT")
        self.font()

    def fields(self, rows: list[tuple[str, str]], label_width: float | None = None) -> None:
        """Label/value pairs, one per line."""
        pdf = self.pdf
        label_width = label_width or self.width * self.rng.uniform(0.3, 0.45)
        for label, value in rows:
            self.font("B" if self.rng.random() < 0.3 else "")
            pdf.cell(label_width, self.line * 1.1, label)
            self.font()
            pdf.multi_cell(0, self.line * 1.1, value, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str) -> None:
        self.pdf.multi_cell(0, self.line * 1.05, text, new_x="LMARGIN", new_y="NEXT")
        self.gap(self.line * 0.5)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], aligns: str) -> None:
        """A table whose rows flow onto new pages, the header repeated at the top of each."""
        pdf = self.pdf
        scale = self.width / sum(widths)
        widths = [w * scale for w in widths]
        ruled = self.rng.random() < 0.5
        shade = self.rng.random() < 0.5

        def draw_header():
            self.font("B", -0.5)
            if shade:
                pdf.set_fill_color(225, 228, 235)
            for text, w, a in zip(header, widths, aligns, strict=True):
                pdf.cell(w, self.line * 1.4, text, border="B" if ruled else 0, align=a, fill=shade)
            pdf.ln()
            self.font("", -0.5)

        draw_header()
        for row in rows:
            if pdf.will_page_break(self.line * 1.2):
                self.new_page()
                draw_header()
            for text, w, a in zip(row, widths, aligns, strict=True):
                pdf.cell(w, self.line * 1.2, text, align=a, border="B" if ruled and shade else 0)
            pdf.ln()
        self.font()
        self.gap()

    def signature(self, place: str, when: date, who: list[str]) -> None:
        pdf = self.pdf
        self.gap(self.line * 2)
        pdf.cell(0, self.line, f"{place}, den {day(when)}", new_x="LMARGIN", new_y="NEXT")
        self.gap(self.line * 2.5)
        w = self.width / max(len(who), 1)
        y = pdf.get_y()
        for i, name in enumerate(who):
            x = pdf.l_margin + i * w
            pdf.line(x, y, x + w * 0.8, y)
            pdf.set_xy(x, y + 1)
            self.font("", -1.5)
            pdf.cell(w, self.line, name)
        pdf.ln(self.line * 2)
        self.font()


# ---------------------------------------------------------------- the document types


def payslip(s: Sheet, p: Person, rng: random.Random) -> None:
    month = rng.randrange(12)
    year = p.today.year
    s.footer_text = f"Personalnummer {rng.randrange(10000, 99999)}"
    s.letterhead(p.employer, [p.employer_street, p.employer_city])
    s.address_block(p.address, sender=f"{p.employer}, {p.employer_street}, {p.employer_city}")
    # A payslip's legal name is "Entgeltbescheinigung" (§ 108 GewO): titles overlap with the
    # employer's salary certificates on purpose.
    s.title(
        rng.choice(
            [
                "Gehaltsabrechnung",
                "Entgeltabrechnung",
                "Abrechnung der Brutto/Netto-Bezüge",
                "Entgeltbescheinigung",
                "Verdienstabrechnung",
                "Verdienstbescheinigung",
            ]
        ),
        f"für {MONTHS[month]} {year}",
    )
    s.fields(
        [
            ("Personalnummer", str(rng.randrange(10000, 99999))),
            ("Name", p.name),
            ("Geburtsdatum", day(p.birth)),
            ("Steuerklasse", f"{p.tax_class}"),
            ("Steuer-ID", p.tax_id),
            ("Krankenkasse", rng.choice(["AOK", "TK", "Barmer", "DAK", "IKK"])),
            ("Eintritt", day(p.today - timedelta(days=rng.randrange(200, 6000)))),
        ]
    )
    gross = p.gross
    extras = [
        (name, round(gross * rng.uniform(0.01, 0.08), 2))
        for name in rng.sample(
            [
                "Zuschlag Nachtarbeit",
                "Vermögenswirksame Leistungen",
                "Fahrtkostenzuschuss",
                "Überstunden",
                "Prämie",
                "Sachbezug",
            ],
            rng.randrange(0, 3),
        )
    ]
    total = gross + sum(a for _, a in extras)
    tax = round(total * rng.uniform(0.08, 0.22), 2)
    soli = round(tax * rng.choice([0, 0, 0.055]), 2)
    church = round(tax * rng.choice([0, 0.08, 0.09]), 2)
    social = [
        ("Krankenversicherung", total * 0.0815),
        ("Rentenversicherung", total * 0.093),
        ("Arbeitslosenversicherung", total * 0.013),
        ("Pflegeversicherung", total * 0.017),
    ]
    rows = [["1000", "Gehalt", euro(gross)]] + [
        [str(2000 + i), n, euro(a)] for i, (n, a) in enumerate(extras)
    ]
    rows += [["", "Gesamtbrutto", euro(total)], ["", "Lohnsteuer", euro(-tax)]]
    rows += [["", "Solidaritätszuschlag", euro(-soli)]] if soli else []
    rows += [["", "Kirchensteuer", euro(-church)]] if church else []
    rows += [["", name, euro(-round(a, 2))] for name, a in social]
    net = total - tax - soli - church - sum(round(a, 2) for _, a in social)
    rows += [["", "Nettobezüge", euro(net)], ["", "Auszahlungsbetrag", euro(net)]]
    s.table(["Lohnart", "Bezeichnung", "Betrag"], rows, [15, 55, 25], "LLR")
    s.fields(
        [("Überweisung an", f"{p.bank}, IBAN {p.iban}"), ("Jahressumme brutto", euro(total * (month + 1)))]
    )


def salary_certificate(s: Sheet, p: Person, rng: random.Random) -> None:
    s.letterhead(p.employer, [p.employer_street, p.employer_city, "Personalabteilung"])
    s.address_block(
        p.address
        if rng.random() < 0.5
        else [f"{p.bank}", "Baufinanzierung", f"{rng.randrange(10000, 99999)} {p.city}"]
    )
    s.title(
        rng.choice(
            [
                "Arbeitgeberbescheinigung",
                "Gehaltsbescheinigung",
                "Verdienstbescheinigung",
                "Einkommensbescheinigung zur Vorlage bei der Bank",
                "Bescheinigung über Arbeitsentgelt",
            ]
        )
    )
    start = p.today - timedelta(days=rng.randrange(400, 7000))
    s.paragraph(
        f"Hiermit bestätigen wir, dass {p.name}, geboren am {day(p.birth)}, wohnhaft "
        f"{p.street}, {p.postcode} {p.city}, seit dem {day(start)} in unserem Unternehmen "
        f"als {p.job} {rng.choice(['unbefristet', 'in ungekündigter Stellung', 'unbefristet und in ungekündigter Stellung'])} "
        f"beschäftigt ist. Eine Probezeit besteht nicht mehr."
    )
    yearly = p.gross * rng.choice([12, 13, 13.5])
    rows = [
        ("Monatliches Bruttogehalt", euro(p.gross)),
        ("Jährliches Bruttoeinkommen", euro(yearly)),
        ("Durchschnittliches Nettogehalt", euro(p.gross * rng.uniform(0.58, 0.68))),
        ("Wöchentliche Arbeitszeit", f"{rng.choice([20, 30, 35, 38.5, 40])} Stunden"),
        ("Steuerklasse", str(p.tax_class)),
    ]
    if rng.random() < 0.5:
        rows.append(("Sonderzahlungen", euro(p.gross * rng.uniform(0.3, 1.0))))
    s.fields(rows)
    if rng.random() < 0.5:  # some certificates list the last months like a payslip does
        months = [
            [
                "",
                f"{MONTHS[(p.today.month - i - 2) % 12]} {p.today.year}",
                euro(p.gross),
                euro(p.gross * rng.uniform(0.58, 0.68)),
            ]
            for i in range(rng.randrange(3, 7))
        ]
        s.table(["", "Monat", "Brutto", "Netto"], months, [5, 40, 25, 25], "LLRR")
    s.paragraph(
        rng.choice(
            [
                "Das Arbeitsverhältnis ist weder gekündigt noch ist eine Kündigung beabsichtigt. "
                "Lohn- oder Gehaltspfändungen liegen nicht vor.",
                "Diese Bescheinigung wird auf Wunsch des Mitarbeiters zur Vorlage bei einem Kreditinstitut "
                "ausgestellt. Die Angaben entsprechen den Gehaltsabrechnungen der letzten Monate.",
                "Die Bescheinigung wurde maschinell erstellt. Abtretungen oder Pfändungen des Arbeitslohns "
                "sind uns nicht bekannt.",
            ]
        )
    )
    s.signature(p.employer_city.split(" ", 1)[1], p.today, ["Personalabteilung", "Geschäftsführung"])


def bank_statement(s: Sheet, p: Person, rng: random.Random) -> None:
    s.footer_text = f"{p.bank} · BIC {p.bic}"
    s.letterhead(
        p.bank,
        [f"Filiale {p.city}", f"BIC {p.bic}", "Kundenservice 0800 " + str(rng.randrange(100000, 999999))],
    )
    s.address_block(p.address)
    number_ = rng.randrange(1, 12)
    start = p.today.replace(day=1)
    s.title(
        rng.choice(["Kontoauszug", "Kontoauszug Girokonto", "Finanzstatus und Kontoauszug"]),
        f"Nr. {number_}/{p.today.year} · IBAN {p.iban} · {day(start)} bis {day(start + timedelta(days=29))}",
    )
    balance = round(rng.uniform(-800, 12000), 2)
    s.fields([("Kontoinhaber", p.name), ("Alter Kontostand", euro(balance))])
    bookings = [
        ("Lohn/Gehalt", p.employer, p.gross * rng.uniform(0.55, 0.7)),
        (
            "Miete",
            f"{rng.choice(['Hausverwaltung', 'Wohnungsbau GmbH', 'Vermietung'])} {p.city}",
            -rng.uniform(500, 1600),
        ),
        ("Lastschrift", "Stadtwerke Strom/Gas", -rng.uniform(40, 180)),
        ("Kartenzahlung", "REWE", -rng.uniform(8, 120)),
        ("Kartenzahlung", "EDEKA", -rng.uniform(8, 90)),
        ("Lastschrift", "Telekom Deutschland", -rng.uniform(20, 60)),
        ("Dauerauftrag", "Sparplan ETF", -rng.choice([50, 100, 250])),
        ("Überweisung", "Finanzamt Steuererstattung", rng.uniform(100, 1500)),
        ("Lastschrift", "Versicherung AG Beitrag", -rng.uniform(15, 140)),
        ("Bargeld", "Geldautomat", -rng.choice([50, 100, 200])),
        ("Gutschrift", "Kindergeld Familienkasse", 250.0),
        ("Kartenzahlung", "Amazon EU", -rng.uniform(9, 150)),
        ("Lastschrift", "Rundfunkbeitrag", -18.36),
    ]
    rows = []
    for i in range(rng.randrange(14, 75)):
        kind, who, amount = rng.choice(bookings)
        amount = round(amount, 2)
        balance += amount
        when = day(start + timedelta(days=min(i // 2, 29)))
        rows.append([when, when, f"{kind} {who}", euro(amount, sign=True)])
    s.table(["Buchung", "Valuta", "Vorgang", "Betrag"], rows, [18, 18, 60, 22], "LLLR")
    s.fields(
        [("Neuer Kontostand", euro(balance)), ("Dispositionskredit", euro(rng.choice([0, 1000, 2500, 5000])))]
    )
    s.paragraph(
        "Bitte erheben Sie Einwendungen gegen einzelne Buchungen unverzüglich. Der "
        "Rechnungsabschluss gilt als genehmigt, wenn Sie nicht innerhalb von sechs Wochen widersprechen."
    )


def id_card(s: Sheet, p: Person, rng: random.Random) -> None:
    pdf = s.pdf
    s.font("", -1)
    pdf.cell(
        0,
        s.line,
        rng.choice(
            [
                "Kopie Personalausweis",
                "Ausweiskopie (Vorder- und Rückseite)",
                "Anlage: Identitätsnachweis",
                "",
            ]
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    w, h = 85.6 * 1.3, 54 * 1.3
    x = pdf.l_margin + rng.uniform(0, max(s.width - w, 0))
    y = pdf.get_y() + rng.uniform(3, 20)
    number_ = "".join(rng.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(9))
    valid = p.today + timedelta(days=rng.randrange(300, 3600))
    for side in ("front", "back"):
        pdf.set_draw_color(120, 120, 120)
        pdf.set_fill_color(*rng.choice([(236, 242, 236), (240, 238, 245), (245, 245, 240)]))
        pdf.rect(x, y, w, h, style="DF", round_corners=True, corner_radius=4)
        pdf.set_xy(x + 4, y + 3)
        s.font("B", -1)
        if side == "front":
            pdf.cell(
                w - 8,
                4,
                "BUNDESREPUBLIK DEUTSCHLAND · FEDERAL REPUBLIC OF GERMANY",
                new_x="LEFT",
                new_y="NEXT",
            )
            s.font("", -2)
            pdf.cell(
                w - 8, 4, "PERSONALAUSWEIS / IDENTITY CARD / CARTE D'IDENTITÉ", new_x="LEFT", new_y="NEXT"
            )
            pdf.rect(x + 4, y + 13, 28, 36)  # the photo
            pdf.set_xy(x + 36, y + 13)
            for label, value in [
                ("Name / Surname", p.last.upper()),
                ("Vornamen / Given names", p.first.upper()),
                ("Geburtstag / Date of birth", day(p.birth)),
                ("Staatsangehörigkeit / Nationality", "DEUTSCH"),
                ("Geburtsort / Place of birth", rng.choice(CITIES).upper()),
                ("Gültig bis / Date of expiry", day(valid)),
            ]:
                s.font("", -3.5)
                pdf.cell(w - 40, 3, label, new_x="LEFT", new_y="NEXT")
                s.font("B", -2)
                pdf.cell(w - 40, 4, value, new_x="LEFT", new_y="NEXT")
            pdf.set_xy(x + w - 26, y + 3)
            s.font("B", -1)
            pdf.cell(22, 4, number_, align="R")
        else:
            for label, value in [
                ("Anschrift / Address", f"{p.postcode} {p.city.upper()}"),
                ("", p.street.upper()),
                ("Augenfarbe / Colour of eyes", rng.choice(["BLAU", "BRAUN", "GRÜN", "GRAU"])),
                ("Größe / Height", f"{rng.randrange(155, 198)} cm"),
                ("Ausstellungsdatum / Date of issue", day(valid - timedelta(days=3650))),
                ("Behörde / Authority", f"STADT {p.city.upper()}"),
            ]:
                s.font("", -3.5)
                pdf.cell(w - 8, 3, label, new_x="LEFT", new_y="NEXT")
                s.font("B", -2)
                pdf.cell(w - 8, 4, value, new_x="LEFT", new_y="NEXT")
            s.font("", -1)
            mrz = [
                f"IDD<<{number_}<<<<<<<<<<<<<<<",
                f"{p.birth:%y%m%d}{rng.randrange(10)}<{valid:%y%m%d}{rng.randrange(10)}D<<<<<<<<<<<<<{rng.randrange(10)}",
                f"{p.last.upper()}<<{p.first.upper()}".replace(" ", "<").ljust(30, "<")[:30],
            ]
            for line in mrz:
                pdf.cell(w - 8, 4, line, new_x="LEFT", new_y="NEXT")
        y += h + rng.uniform(6, 25)
    pdf.set_xy(pdf.l_margin, y)
    s.font()
    if rng.random() < 0.5:
        s.paragraph(f"Ich bestätige die Übereinstimmung der Kopie mit dem Original. {p.city}, {day(p.today)}")


def tax_assessment(s: Sheet, p: Person, rng: random.Random) -> None:
    office = f"Finanzamt {p.city}"
    year = p.today.year - 1
    s.footer_text = (
        f"Steuernummer {rng.randrange(10, 99)}/{rng.randrange(100, 999)}/{rng.randrange(10000, 99999)}"
    )
    s.letterhead(
        office, [f"{rng.randrange(10000, 99999)} {p.city}", "Telefon " + str(rng.randrange(1000000, 9999999))]
    )
    s.address_block(p.address, sender=f"{office}, Postfach {rng.randrange(1000, 9999)}")
    s.title(
        rng.choice(
            [
                f"Bescheid für {year} über Einkommensteuer",
                f"Einkommensteuerbescheid {year}",
                f"Bescheid für {year} über Einkommensteuer, Solidaritätszuschlag und Kirchensteuer",
            ]
        ),
        f"Festsetzung · Datum {day(p.today)} · Identifikationsnummer {p.tax_id}",
    )
    wages = p.gross * 12 * rng.uniform(0.95, 1.1)
    costs = rng.uniform(1230, 4800)
    taxable = wages - costs - rng.uniform(2000, 9000)
    tax = taxable * rng.uniform(0.12, 0.28)
    paid = tax * rng.uniform(0.9, 1.15)
    s.paragraph(
        f"Sehr geehrte(r) {p.name}, auf Grund Ihrer Steuererklärung wird die Einkommensteuer "
        f"für das Kalenderjahr {year} wie folgt festgesetzt. Der Bescheid ist nach § 165 Abs. 1 "
        "AO teilweise vorläufig."
    )
    s.table(
        ["Besteuerungsgrundlagen", "", "Betrag"],
        [
            ["Einkünfte aus nichtselbständiger Arbeit", "", ""],
            ["Bruttoarbeitslohn", "", euro(wages)],
            ["abzüglich Werbungskosten", "", euro(-costs)],
            ["Sonderausgaben", "", euro(-rng.uniform(800, 6000))],
            ["außergewöhnliche Belastungen", "", euro(-rng.uniform(0, 1500))],
            ["zu versteuerndes Einkommen", "", euro(taxable)],
        ],
        [60, 10, 25],
        "LLR",
    )
    s.table(
        ["Festsetzung", "Einkommensteuer", "Solidaritätszuschlag"],
        [
            ["festgesetzt werden", euro(tax), euro(0)],
            ["ab Steuerabzug vom Lohn", euro(-paid), euro(0)],
            ["verbleibende Beträge", euro(tax - paid), euro(0)],
        ],
        [40, 30, 30],
        "LRR",
    )
    due = tax - paid
    s.paragraph(
        f"Bitte zahlen Sie {euro(due)} bis zum {day(p.today + timedelta(days=30))} auf das "
        f"Konto des Finanzamts."
        if due > 0
        else f"Der Erstattungsbetrag von {euro(-due)} wird auf Ihr Konto {p.iban} bei der "
        f"{p.bank} überwiesen."
    )
    s.heading("Erläuterungen")
    for _ in range(rng.randrange(2, 7)):
        s.paragraph(
            rng.choice(
                [
                    "Die Aufwendungen für die Wege zwischen Wohnung und erster Tätigkeitsstätte wurden mit "
                    "der Entfernungspauschale berücksichtigt.",
                    "Bei den Einkünften aus nichtselbständiger Arbeit wurde der Arbeitslohn laut elektronischer "
                    "Lohnsteuerbescheinigung Ihres Arbeitgebers angesetzt.",
                    "Die Vorsorgeaufwendungen wurden im Rahmen der Höchstbeträge als Sonderausgaben abgezogen.",
                    "Rechtsbehelfsbelehrung: Der Bescheid kann mit dem Einspruch angefochten werden. Der "
                    "Einspruch ist beim oben bezeichneten Finanzamt schriftlich einzureichen oder zur "
                    "Niederschrift zu erklären. Die Frist für die Einlegung des Einspruchs beträgt einen Monat.",
                    "Die Festsetzung des Solidaritätszuschlags ist vorläufig hinsichtlich der Verfassungsmäßigkeit "
                    "des Solidaritätszuschlaggesetzes 1995.",
                    "Die Kirchensteuer wurde nach dem Kirchensteuergesetz Ihres Landes festgesetzt. "
                    "Lohnsteuer und Kirchensteuer, die Ihr Arbeitgeber einbehalten hat, wurden angerechnet.",
                    "Haushaltsnahe Dienstleistungen und Handwerkerleistungen wurden mit 20 Prozent der "
                    "Arbeitskosten von der tariflichen Einkommensteuer abgezogen.",
                ]
            )
        )


def _parcel(rng: random.Random, p: Person) -> dict:
    return {
        "court": f"Amtsgericht {p.city}",
        "district": rng.choice(CITIES),
        "sheet": rng.randrange(100, 30000),
        "flur": rng.randrange(1, 40),
        "parcel": f"{rng.randrange(1, 900)}/{rng.randrange(1, 40)}",
        "area": rng.randrange(180, 1400),
        "street": p.street if rng.random() < 0.3 else None,
    }


def _register_sections(s: Sheet, p: Person, rng: random.Random, g: dict) -> None:
    """Abteilung I-III of a land register: in the extract itself, and quoted by contracts."""
    owners = [p.name] + (
        [f"{rng.choice(['Anna', 'Jonas', 'Lea', 'Paul', 'Marie'])} {p.last}"] if rng.random() < 0.5 else []
    )
    s.heading("Erste Abteilung – Eigentümer")
    s.table(
        ["Lfd. Nr.", "Eigentümer", "Grundlage der Eintragung"],
        [
            [
                str(i + 1),
                f"{o}, geb. {day(p.birth - timedelta(days=rng.randrange(-2000, 2000)))}",
                f"Auflassung vom {day(p.today - timedelta(days=rng.randrange(30, 4000)))}; eingetragen am {day(p.today - timedelta(days=rng.randrange(10, 30)))}",
            ]
            for i, o in enumerate(owners)
        ],
        [12, 45, 60],
        "LLL",
    )
    s.heading("Zweite Abteilung – Lasten und Beschränkungen")
    s.paragraph(
        rng.choice(
            [
                "Keine Eintragungen.",
                "Grunddienstbarkeit (Wegerecht) für den jeweiligen Eigentümer "
                f"des Grundstücks Flurstück {rng.randrange(1, 900)}; eingetragen am {day(p.today - timedelta(days=9000))}.",
                "Auflassungsvormerkung für den Käufer; gemäß Bewilligung vom "
                f"{day(p.today - timedelta(days=20))} eingetragen.",
            ]
        )
    )
    s.heading("Dritte Abteilung – Hypotheken, Grundschulden, Rentenschulden")
    debts = [
        [
            str(i + 1),
            euro(rng.randrange(50, 600) * 1000),
            f"Grundschuld ohne Brief für {rng.choice(BANKS)}, vollstreckbar nach § 800 ZPO; eingetragen am "
            f"{day(p.today - timedelta(days=rng.randrange(100, 6000)))}",
        ]
        for i in range(rng.randrange(0, 4))
    ]
    if debts:
        s.table(["Lfd. Nr.", "Betrag", "Eintragung"], debts, [12, 25, 80], "LRL")
    else:
        s.paragraph("Keine Eintragungen.")


def land_register(s: Sheet, p: Person, rng: random.Random) -> None:
    g = _parcel(rng, p)
    s.footer_text = f"Grundbuch von {g['district']} Blatt {g['sheet']}"
    s.letterhead(g["court"], ["Grundbuchamt", f"Abruf vom {day(p.today)}"])
    s.title(
        rng.choice(
            ["Grundbuchauszug", "Amtlicher Ausdruck aus dem Grundbuch", "Grundbuch – beglaubigter Ausdruck"]
        ),
        f"Grundbuch von {g['district']} · Blatt {g['sheet']}",
    )
    s.heading("Bestandsverzeichnis")
    s.table(
        ["Lfd. Nr.", "Gemarkung", "Flur", "Flurstück", "Wirtschaftsart und Lage", "Größe m²"],
        [
            [
                "1",
                g["district"],
                str(g["flur"]),
                g["parcel"],
                f"Gebäude- und Freifläche, {g['street'] or 'Am ' + rng.choice(['Anger', 'Hang', 'Bach', 'Markt'])}",
                str(g["area"]),
            ]
        ],
        [12, 25, 10, 15, 50, 15],
        "LLLLLR",
    )
    _register_sections(s, p, rng, g)
    for _ in range(rng.randrange(0, 4)):
        s.paragraph(
            "Veränderungen und Löschungen: "
            + rng.choice(
                [
                    "Die Grundschuld Nr. 1 ist gelöscht am ",
                    "Umgeschrieben auf Blatt " + str(rng.randrange(100, 9999)) + " am ",
                    "Die Vormerkung ist gelöscht am ",
                ]
            )
            + day(p.today - timedelta(days=rng.randrange(5, 900)))
            + "."
        )
    s.paragraph("Dieser Ausdruck wird nicht unterschrieben und gilt als beglaubigte Abschrift (§ 131 GBO).")


def purchase_contract(s: Sheet, p: Person, rng: random.Random) -> None:
    g = _parcel(rng, p)
    notary = f"Notar{rng.choice(['', 'in'])} Dr. {rng.choice(['Becker', 'Schulz', 'Hoffmann', 'Wagner', 'Krüger'])}"
    price = rng.randrange(180, 1200) * 1000
    s.footer_text = f"UR-Nr. {rng.randrange(100, 3000)}/{p.today.year}"
    s.letterhead(notary, [f"Notariat {p.city}", f"{rng.randrange(10000, 99999)} {p.city}"])
    s.title(
        rng.choice(["Kaufvertrag", "Grundstückskaufvertrag", "Kaufvertrag über eine Eigentumswohnung"]),
        f"Verhandelt zu {p.city} am {day(p.today)}",
    )
    s.paragraph(
        f"Vor mir, {notary}, erschienen: 1. {rng.choice(['Herr', 'Frau'])} {rng.choice(['Klaus', 'Sabine', 'Dieter', 'Monika'])} "
        f"{rng.choice(['Meier', 'Fischer', 'Weber', 'Schneider'])} – nachstehend „Verkäufer“ genannt – und "
        f"2. {p.name}, geboren am {day(p.birth)}, wohnhaft {p.street}, {p.postcode} {p.city} – "
        "nachstehend „Käufer“ genannt –, ausgewiesen durch gültigen Personalausweis."
    )
    clauses = [
        (
            "§ 1 Grundbuchstand",
            f"Im Grundbuch des {g['court']} von {g['district']} Blatt {g['sheet']} ist "
            f"folgender Grundbesitz eingetragen: Flur {g['flur']}, Flurstück {g['parcel']}, Gebäude- und "
            f"Freifläche, groß {g['area']} m². Der Grundbesitz ist in Abteilung II und III des Grundbuchs "
            f"{rng.choice(['lastenfrei', 'wie folgt belastet: Grundschuld über ' + euro(rng.randrange(50, 400) * 1000)])}.",
        ),
        (
            "§ 2 Verkauf",
            "Der Verkäufer verkauft den vorbezeichneten Grundbesitz mit allen Rechten, "
            "Pflichten und dem gesetzlichen Zubehör an den Käufer zum Alleineigentum.",
        ),
        (
            "§ 3 Kaufpreis",
            f"Der Kaufpreis beträgt {euro(price)} (in Worten: {price // 1000} Tausend Euro). "
            f"Er ist fällig innerhalb von vierzehn Tagen nach Zugang der Fälligkeitsmitteilung des Notars "
            f"und auf das Konto des Verkäufers, IBAN {rng.choice([p.iban, 'DE' + str(rng.randrange(10**19, 10**20))])}, zu zahlen.",
        ),
        (
            "§ 4 Auflassungsvormerkung",
            "Die Vertragsteile bewilligen und beantragen die Eintragung einer "
            "Vormerkung zur Sicherung des Anspruchs des Käufers auf Übertragung des Eigentums in das Grundbuch.",
        ),
        (
            "§ 5 Besitzübergang",
            f"Besitz, Nutzungen und Lasten gehen mit vollständiger Zahlung des Kaufpreises, "
            f"frühestens am {day(p.today + timedelta(days=rng.randrange(30, 120)))}, auf den Käufer über.",
        ),
        (
            "§ 6 Sach- und Rechtsmängel",
            "Der Grundbesitz wird verkauft, wie er steht und liegt. Die Rechte "
            "des Käufers wegen eines Sachmangels des Grundstücks und des Gebäudes sind ausgeschlossen, soweit "
            "nicht Vorsatz oder Arglist vorliegt.",
        ),
        (
            "§ 7 Finanzierungsvollmacht",
            "Der Verkäufer bevollmächtigt den Käufer, den Grundbesitz bereits vor "
            f"Eigentumsumschreibung mit Grundpfandrechten zugunsten der {p.bank} bis zur Höhe von "
            f"{euro(price * rng.uniform(0.6, 1.0))} zu belasten.",
        ),
        (
            "§ 8 Kosten und Steuern",
            "Die Kosten dieses Vertrages und seines Vollzugs sowie die "
            "Grunderwerbsteuer trägt der Käufer. Die Kosten der Lastenfreistellung trägt der Verkäufer.",
        ),
        (
            "§ 9 Vollzug",
            "Die Vertragsteile beauftragen und bevollmächtigen den Notar, sie im "
            "Grundbuchverfahren uneingeschränkt zu vertreten und alle zur Wirksamkeit erforderlichen "
            "Genehmigungen einzuholen.",
        ),
        (
            "§ 10 Energieausweis",
            "Dem Käufer wurde ein Energieausweis vorgelegt. Der Verkäufer versichert, "
            "dass ihm keine behördlichen Auflagen bekannt sind.",
        ),
    ]
    for title, text in clauses:
        s.heading(title)
        s.paragraph(text)
        if title.startswith("§ 1") and rng.random() < 0.5:  # the register quoted as the notary saw it
            _register_sections(s, p, rng, g)
        if rng.random() < 0.35:
            s.paragraph(
                rng.choice(
                    [
                        "Der Notar hat die Beteiligten darauf hingewiesen, dass alle Vereinbarungen beurkundet sein "
                        "müssen und dass nicht beurkundete Nebenabreden zur Nichtigkeit des Vertrages führen können.",
                        "Sollte eine Bestimmung dieses Vertrages unwirksam sein, bleibt die Wirksamkeit der übrigen "
                        "Bestimmungen unberührt. Die Beteiligten verpflichten sich, eine wirksame Regelung zu treffen.",
                        "Der Käufer unterwirft sich wegen der Zahlung des Kaufpreises der sofortigen "
                        "Zwangsvollstreckung aus dieser Urkunde in sein gesamtes Vermögen.",
                    ]
                )
            )
    if rng.random() < 0.4:
        s.new_page()  # a last page with little more than the signatures
    s.paragraph("Vorgelesen vom Notar, von den Beteiligten genehmigt und eigenhändig unterschrieben.")
    s.signature(p.city, p.today, ["Verkäufer", "Käufer", notary])


def _floor_plan(
    s: Sheet, rng: random.Random, x: float, y: float, w: float, h: float
) -> list[tuple[str, float]]:
    """Rooms as rectangles cut from one outline, each labelled with its name and area."""
    pdf = s.pdf
    scale = rng.uniform(0.9, 1.1) * w / 12.0  # 12 m across
    pdf.set_line_width(0.8)
    pdf.rect(x, y, w, h)
    pdf.set_line_width(0.3)
    names = ["Wohnen/Essen", "Küche", "Schlafen", "Bad", "Flur", "Kind", "Arbeiten", "Abstellraum", "Balkon"]
    rooms, cut = [], x + w * rng.uniform(0.45, 0.6)
    left = [y, y + h * rng.uniform(0.5, 0.65), y + h]
    right_cuts = sorted(rng.uniform(0.2, 0.8) for _ in range(rng.randrange(1, 3)))
    right = [y] + [y + h * c for c in right_cuts] + [y + h]
    pdf.line(cut, y, cut, y + h)
    cells = [(x, left[i], cut - x, left[i + 1] - left[i]) for i in range(len(left) - 1)]
    cells += [(cut, right[i], x + w - cut, right[i + 1] - right[i]) for i in range(len(right) - 1)]
    chosen = [names[0]] + rng.sample(names[1:], len(cells) - 1)
    for (rx, ry, rw, rh), name in zip(cells, chosen, strict=True):
        pdf.rect(rx, ry, rw, rh)
        area = round(rw * rh / scale / scale, 2)
        rooms.append((name, area))
        pdf.line(rx + rw * 0.3, ry + rh, rx + rw * 0.3 + 8, ry + rh - 8)  # a door swing, roughly
        pdf.set_xy(rx + 2, ry + rh / 2 - 4)
        s.font("B", -1.5)
        pdf.cell(rw - 4, 4, name, align="C", new_x="LEFT", new_y="NEXT")
        s.font("", -2)
        pdf.cell(rw - 4, 4, f"{number(area)} m²", align="C")
    s.font()
    return rooms


def expose(s: Sheet, p: Person, rng: random.Random) -> None:
    agent = (
        rng.choice(["Immobilien", "Real Estate", "Makler"])
        + f" {p.last if rng.random() < 0.2 else rng.choice(['Nord', 'Süd', 'Kontor', 'Partner'])}"
    )
    kind = rng.choice(
        ["Eigentumswohnung", "Reihenhaus", "Einfamilienhaus", "Doppelhaushälfte", "Maisonette-Wohnung"]
    )
    rooms = rng.choice([2, 3, 3.5, 4, 5])
    area = rng.randrange(48, 190)
    price = rng.randrange(150, 1100) * 1000
    s.footer_text = f"{agent} · Objekt-Nr. {rng.randrange(1000, 9999)}"
    s.letterhead(agent, [f"{p.city}", "www." + agent.lower().replace(" ", "-") + ".de"])
    s.title(
        f"Exposé: {rng.choice(['Helle', 'Ruhige', 'Gepflegte', 'Moderne', 'Charmante'])} {kind} in {p.city}",
        f"{rooms} Zimmer · {area} m² Wohnfläche · Kaufpreis {euro(price)}",
    )
    g = _parcel(rng, p)
    s.fields(
        [
            ("Objektart", kind),
            ("Wohnfläche", f"ca. {area} m²"),
            ("Grundstück", f"{g['area']} m²"),
            ("Zimmer", str(rooms)),
            ("Baujahr", str(rng.randrange(1900, 2022))),
            ("Kaufpreis", euro(price)),
            ("Käuferprovision", f"{rng.choice(['3,57', '2,98', '3,00'])} % inkl. MwSt."),
            (
                "Energieausweis",
                f"Verbrauchsausweis, {rng.randrange(40, 220)} kWh/(m²·a), Klasse {rng.choice('ABCDEFG')}",
            ),
            ("Hausgeld", euro(rng.uniform(150, 600)) if "Wohnung" in kind else "entfällt"),
        ]
    )
    s.heading("Objektbeschreibung")
    s.paragraph(
        rng.choice(
            [
                f"Die {kind} überzeugt durch einen durchdachten Grundriss, viel Tageslicht und einen Balkon nach Südwesten.",
                f"Dieses {kind} liegt in einer ruhigen Seitenstraße und bietet Platz für die ganze Familie.",
                "Das Objekt wurde laufend modernisiert: neue Fenster, Fußbodenheizung und ein saniertes Bad.",
            ]
        )
        + f" Eingetragen im Grundbuch von {g['district']}, Flur {g['flur']}, Flurstück {g['parcel']}."
    )
    s.heading("Lage")
    s.paragraph(
        f"{p.city}: Schulen, Kindergärten und Einkaufsmöglichkeiten sind fußläufig erreichbar; "
        "der Bahnhof ist in wenigen Minuten erreichbar."
    )
    if rng.random() < 0.5:
        s.new_page()
    s.heading("Grundriss " + rng.choice(["Erdgeschoss", "Wohnung", "Obergeschoss"]))
    pdf = s.pdf
    w = s.width * rng.uniform(0.6, 0.9)
    h = min(w * rng.uniform(0.55, 0.8), pdf.h - pdf.get_y() - 45)
    if h < 40:
        s.new_page()
        h = w * 0.6
    y0 = pdf.get_y() + 4
    plan = _floor_plan(s, rng, pdf.l_margin + (s.width - w) / 2, y0, w, h)
    pdf.set_xy(pdf.l_margin, y0 + h + 6)
    s.paragraph(
        "Wohnflächen: "
        + ", ".join(f"{n} {number(a)} m²" for n, a in plan)
        + ". Grundriss nicht maßstabsgetreu; alle Angaben ohne Gewähr."
    )


def self_disclosure(s: Sheet, p: Person, rng: random.Random) -> None:
    s.letterhead(
        rng.choice([p.bank, f"Baufinanzierung {rng.choice(['Plus', 'Direkt', 'Partner'])}"]),
        ["Immobilienfinanzierung", p.city],
    )
    s.title(
        rng.choice(
            [
                "Selbstauskunft",
                "Selbstauskunft für Darlehensnehmer",
                "Persönliche Selbstauskunft zur Baufinanzierung",
            ]
        )
    )
    s.heading("1. Persönliche Angaben")
    s.fields(
        [
            ("Name, Vorname", f"{p.last}, {p.first}"),
            ("Geburtsdatum", day(p.birth)),
            ("Anschrift", f"{p.street}, {p.postcode} {p.city}"),
            ("Familienstand", rng.choice(["ledig", "verheiratet", "geschieden"])),
            ("Staatsangehörigkeit", "deutsch"),
            ("Ausweis", "Personalausweis, gültig"),
        ]
    )
    s.heading("2. Beruf und Einkommen")
    s.fields(
        [
            ("Arbeitgeber", f"{p.employer}, {p.employer_city}"),
            ("Beruf", p.job),
            ("Bruttoeinkommen monatlich", euro(p.gross)),
            ("Nettoeinkommen monatlich", euro(p.gross * rng.uniform(0.58, 0.68))),
            ("Steuerklasse", str(p.tax_class)),
            ("Beschäftigt seit", day(p.today - timedelta(days=rng.randrange(300, 6000)))),
        ]
    )
    s.heading("3. Vermögen und Verbindlichkeiten")
    s.table(
        ["Position", "Institut", "Betrag"],
        [
            ["Girokonto", f"{p.bank}, {p.iban}", euro(rng.uniform(500, 15000))],
            [
                "Bausparvertrag",
                rng.choice(["LBS", "Schwäbisch Hall", "Wüstenrot"]),
                euro(rng.uniform(0, 30000)),
            ],
            ["Wertpapierdepot", rng.choice(BANKS), euro(rng.uniform(0, 80000))],
            ["Ratenkredit", rng.choice(BANKS), euro(-rng.uniform(0, 15000))],
        ],
        [25, 50, 20],
        "LLR",
    )
    s.heading("4. Vorhaben")
    s.fields(
        [
            ("Kaufpreis", euro(rng.randrange(150, 900) * 1000)),
            ("Eigenkapital", euro(rng.randrange(20, 200) * 1000)),
            (
                "Objekt",
                rng.choice(["Eigentumswohnung", "Einfamilienhaus", "Reihenhaus"])
                + f" in {rng.choice(CITIES)}",
            ),
        ]
    )
    s.paragraph(
        "Ich versichere, dass die Angaben vollständig und richtig sind. Ich willige ein, dass "
        "die Bank eine SCHUFA-Auskunft einholt und Gehaltsabrechnungen, Kontoauszüge und den "
        "letzten Steuerbescheid zur Prüfung anfordern darf."
    )
    if rng.random() < 0.3:
        s.new_page()
    s.signature(p.city, p.today, [p.name])


def broker_stamp(s: Sheet, p: Person, rng: random.Random) -> None:
    """The broker's receipt stamp, found on any kind of page: it names every kind of document."""
    pdf = s.pdf
    x, y = pdf.l_margin + rng.uniform(0, s.width - 70), rng.uniform(20, pdf.h - 60)
    pdf.set_draw_color(40, 60, 160)
    pdf.set_text_color(40, 60, 160)
    pdf.rect(x, y, 70, 26)
    pdf.set_xy(x + 2, y + 2)
    s.font("B", -1.5)
    pdf.cell(
        66,
        4,
        f"EINGEGANGEN {day(p.today + timedelta(days=rng.randrange(1, 20)))}",
        new_x="LEFT",
        new_y="NEXT",
    )
    s.font("", -3)
    pdf.multi_cell(
        66,
        3.2,
        "Finanzierungsunterlagen "
        + p.last
        + ": "
        + ", ".join(
            rng.sample(
                [
                    "Gehaltsabrechnungen",
                    "Kontoauszüge",
                    "Steuerbescheid",
                    "Grundbuchauszug",
                    "Exposé",
                    "Kaufvertragsentwurf",
                    "Ausweiskopie",
                    "Selbstauskunft",
                    "Arbeitgeberbescheinigung",
                ],
                5,
            )
        ),
    )
    pdf.set_draw_color(0, 0, 0)
    pdf.set_text_color(0, 0, 0)
    s.font()


#: Class name (the folder name in the corpus) -> the function that writes such a document.
DOCUMENT_TYPES = {
    "payslip": payslip,
    "salary_certificate": salary_certificate,
    "bank_statement": bank_statement,
    "id_card": id_card,
    "tax_assessment": tax_assessment,
    "land_register": land_register,
    "purchase_contract": purchase_contract,
    "expose": expose,
    "self_disclosure": self_disclosure,
}
