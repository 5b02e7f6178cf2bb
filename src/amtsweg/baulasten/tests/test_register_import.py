"""The Gemarkung import command: the shipped Rhein-Kreis Neuss list, idempotence and line errors."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amtsweg.testing import World

from ..models import Gemarkung


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("baulasten_import_gemarkungen", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_default_file_imports_55_gemarkungen_idempotently(world: World) -> None:
    out, err = _run()
    # The test world has Neuss and Dormagen only: the other assigned towns are reported, not lost.
    assert "55 created, 0 updated, 0 unchanged, 9 without their town, 0 errors" in out
    assert "no authority with AGS 05162008" in err
    assert Gemarkung.objects.count() == 55
    assert Gemarkung.objects.get(key="053359").town == world.neuss
    assert Gemarkung.objects.get(key="053347").town == world.dormagen
    assert Gemarkung.objects.get(key="053351").town is None  # Grimlinghausen: unverified, unassigned
    out, _ = _run()
    assert "0 created, 0 updated, 55 unchanged" in out
    assert Gemarkung.objects.get(key="053224").town is None  # Jüchen does not exist here


def test_lines_with_errors_are_reported_and_nothing_else_is_lost(world: World, tmp_path: Path) -> None:
    Gemarkung.objects.create(key="053359", name="Neus", town=world.neuss)
    path = tmp_path / "g.csv"
    path.write_text(
        "key,name,town_ags\n053359,Neuss,\n3359,Kurz,\n053347,,05162004\n053351,Grimlinghausen,09999999\n"
        "053347,Dormagen,05162004\n",
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("baulasten_import_gemarkungen", str(path), stdout=out, stderr=err)
    assert "line 3: key '3359'" in err.getvalue()
    assert "line 4: key 053347: name missing" in err.getvalue()
    assert "line 5: key 053351: no authority with AGS 09999999" in err.getvalue()
    assert "2 created, 1 updated, 0 unchanged, 1 without their town, 2 errors" in out.getvalue()
    assert Gemarkung.objects.get(key="053351").town is None
    neuss = Gemarkung.objects.get(key="053359")
    assert (neuss.name, neuss.town) == ("Neuss", world.neuss)  # an empty town_ags keeps the assignment
    bad = tmp_path / "bad.csv"
    bad.write_text("nummer,name\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing columns"):
        _run(str(bad))
