"""The service catalogue (Leistungskatalog: LeiKa/OZG), offerings per authority and catalogue search."""
