"""The letter engine: kinds, numbering, amounts in words, QR codes and PDF rendering.

Nothing here imports Flask. ``render.LetterRenderer`` turns letter contexts into PDFs with
one shared stylesheet and font configuration, one letter at a time or many in one
WeasyPrint document split back into one PDF per letter (for bulk issues).
"""
