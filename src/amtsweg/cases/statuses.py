"""The default status model (Statusmodell) of every service without its own."""

DEFAULT_STATUSES = [
    # key, German, English, phase, order, next keys
    ("eingegangen", "Eingegangen", "Received", "new", 10, ["in_bearbeitung", "rueckfrage", "entschieden"]),
    ("in_bearbeitung", "In Bearbeitung", "In progress", "in_progress", 20, ["rueckfrage", "entschieden"]),
    ("rueckfrage", "Unterlagen nachgefordert", "Information requested", "waiting", 30, ["in_bearbeitung"]),
    ("entschieden", "Entschieden", "Decided", "decided", 40, ["abgeschlossen"]),
    ("abgeschlossen", "Abgeschlossen", "Closed", "closed", 50, []),
]
