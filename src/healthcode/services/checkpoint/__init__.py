"""At the entrance (M3, M5, S2, S4): venues and their scanners (`venues`), scans kept minimally
(`scans`), communities and medical institutions with their certificates (`institutions`), and
the alternatives for people without a phone (`alternatives`)."""
