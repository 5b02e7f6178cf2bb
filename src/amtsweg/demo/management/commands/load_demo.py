from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from amtsweg.appointments.demo import load_appointments_demo
from amtsweg.baulasten import xbau
from amtsweg.baulasten.demo import baulasten_scans_line, load_baulasten_demo
from amtsweg.baulasten.models import Baulast, Register
from amtsweg.care.demo import load_care_demo
from amtsweg.care.models import Facility
from amtsweg.demo.applications import demo_applications_load
from amtsweg.demo.processes import demo_processes_load
from amtsweg.demo.services import demo_load
from amtsweg.ifsg.demo import load_ifsg_demo
from amtsweg.payments.demo import load_payments_demo
from amtsweg.vehicles.demo import load_move_demo, load_vehicles_demo


class Command(BaseCommand):
    help = "Load (or refresh) the Rhein-Kreis Neuss demo: authorities, offices, catalogue, offerings, people."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--full-catalog",
            action="store_true",
            default=None,
            dest="full",
            help="import the whole OZG/LeiKa catalogue from AMTSWEG_SHARED_DATA_DIR",
        )
        group.add_argument(
            "--curated-catalog",
            action="store_false",
            dest="full",
            help="only the curated subset shipped with Amtsweg",
        )
        parser.add_argument(
            "--without-ocr",
            action="store_false",
            dest="ocr",
            help="leave all Baulasten demo scans to the worker's OCR (faster; by default three are "
            "recognised, indexed and checked at load time when OCRmyPDF is installed)",
        )

    def handle(self, *args: Any, full: bool | None, ocr: bool = True, **options: Any) -> None:
        summary = demo_load(full_catalog=full)
        applications = demo_applications_load()
        # After the demo cases (they predate the fees): new applications pay before submitting.
        load_payments_demo()
        appointments = load_appointments_demo()
        # After the demo cases: those are worked by hand; new applications run on the published processes.
        processes = demo_processes_load()
        vehicles = load_vehicles_demo()
        load_move_demo()  # after the models and the register: a move whose vehicle part is at the Kreis
        ifsg = load_ifsg_demo()  # after payments and processes: instructions run the certificate process
        care = load_care_demo()  # the care finder sits at the Kreis created by demo_load
        summary.logins.extend(care.logins)
        # After payments and processes: the Auskunft requests run the published process.
        baulasten = load_baulasten_demo(capture=ocr)
        # The XBau schemas are not shipped: with the shared reference data present, the demo installs
        # them as an operator would (amtsweg import_xbau_schemas); without it the XBau endpoints say so.
        xbau_source = Path(settings.SHARED_DATA_DIR) / "xbau-2.6"
        if xbau_source.is_dir() and xbau.schemas_problem() is not None:
            call_command("import_xbau_schemas", str(xbau_source), stdout=io.StringIO())
        summary.logins.extend(baulasten.logins)
        catalog = "vollständiger OZG/LeiKa-Katalog" if summary.full_catalog else "kuratierte Auswahl"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo geladen: {summary.authorities} Behörden, {summary.services} Leistungen ({catalog}), "
                f"{summary.offerings} Leistungsangebote, {applications.forms} Online-Formulare, "
                f"{applications.cases} neue Demo-Vorgänge, {processes.models} Prozessmodelle, "
                f"{processes.historical_cases} historische Vorgänge für Prozessvergleich und -analyse, "
                f"{appointments.offices} Dienststellen mit Online-Terminvergabe, "
                f"{appointments.booked} Termine, {vehicles.issued + vehicles.citizen_vehicles} Fahrzeuge "
                f"im lokalen Fahrzeugregister, {vehicles.reservations} Wunschkennzeichen, "
                f"{ifsg.certificates} Bescheinigungen nach § 43 IfSG und "
                f"{Facility.objects.count()} Einrichtungen im Pflegefinder, "
                f"{Baulast.objects.count()} Baulasten in {Register.objects.count()} Baulastenverzeichnissen."
            )
        )
        self.stdout.write(baulasten_scans_line(baulasten))
        self.stdout.write("\nDemo-Zugänge (Passwort jeweils wie angegeben):")
        for label, email, password in summary.logins:
            self.stdout.write(f"  {label:45} {email:45} {password}")
        self.stdout.write(
            "\nPortal:     http://127.0.0.1:8000/\nBackoffice: http://127.0.0.1:8000/backoffice/\n"
            "API:        http://127.0.0.1:8000/api/v1/docs/\n"
        )
