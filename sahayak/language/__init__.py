"""Language helpers shared by the apps: romanised Hindi and Bengali (how people in India
and Bangladesh type on a Latin keyboard) and the transliteration that models it."""
