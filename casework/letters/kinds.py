"""The kinds of letter a workflow transition can issue (names checked when a workflow loads)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.i18n import N_


@dataclass(frozen=True)
class LetterKind:
    key: str
    label: str
    """English message id shown in the admin."""
    template: str
    """File under templates/letters/."""
    subject: str
    """The "Hal" line, in Indonesian (the letter's language)."""
    nature: str = "Biasa"
    """The "Sifat" line."""
    enclosures: str = "-"
    """The "Lampiran" line."""


KINDS: dict[str, LetterKind] = {
    k.key: k
    for k in (
        LetterKind(
            "approval_notice",
            N_("Approval notice"),
            "approval_notice.html.jinja",
            "Pemberitahuan Penetapan Penerima Bantuan",
            nature="Penting",
        ),
        LetterKind(
            "kube_group_notice",
            N_("KUBE group approval notice"),
            "kube_group_notice.html.jinja",
            "Pemberitahuan Penetapan Kelompok Penerima Bantuan KUBE",
            nature="Penting",
        ),
        LetterKind(
            "rejection_notice",
            N_("Rejection notice"),
            "rejection_notice.html.jinja",
            "Pemberitahuan Hasil Verifikasi Permohonan Bantuan",
        ),
        LetterKind(
            "return_notice",
            N_("Return-for-revision notice"),
            "return_notice.html.jinja",
            "Permintaan Perbaikan Berkas Permohonan Bantuan",
        ),
        LetterKind(
            "monitoring_notice",
            N_("Monitoring visit notice"),
            "monitoring_notice.html.jinja",
            "Pemberitahuan Jadwal Monitoring dan Evaluasi Usaha",
        ),
        LetterKind(
            "usage_report_reminder",
            N_("Usage report (LPJ) reminder"),
            "usage_report_reminder.html.jinja",
            "Permintaan Laporan Penggunaan Bantuan (LPJ)",
            nature="Penting",
        ),
        LetterKind(
            "decree",
            N_("Decree (SK) with its lampiran"),
            "decree.html.jinja",
            "Penetapan Penerima Bantuan",
            nature="Penting",
            enclosures="1 (satu) berkas",
        ),
    )
}
