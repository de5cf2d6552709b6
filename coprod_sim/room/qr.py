"""The join code: the address trainees open, as text and as a QR code.

The address is this computer's address on the room's network (found by
``coprod_sim.serve.room_ip``), the port, ``/join`` and the room token, for
example ``http://192.168.1.23:8866/join?token=k7m2x9qpAd0``. The QR code is drawn by
`segno <https://segno.readthedocs.io>`_ (pure Python, SVG output, no images
library) with a quiet zone and high error correction, so a phone reads it off a
projector screen.
"""

from __future__ import annotations

import base64
import html
import io

import segno


def qr_svg(url: str, scale: int = 6) -> str:
    """The QR code of ``url`` as an SVG document (black on white, 4-module quiet zone)."""
    buf = io.BytesIO()
    segno.make(url, error="h", micro=False).save(buf, kind="svg", scale=scale, border=4,
                                                 dark="#000000", light="#ffffff")
    return buf.getvalue().decode("utf-8")


def qr_img_html(url: str, size_px: int = 240) -> str:
    """An ``<img>`` of the QR code of ``url``, with alt text naming the address."""
    data = base64.b64encode(qr_svg(url).encode("utf-8")).decode("ascii")
    alt = html.escape(f"QR code to join the room: {url}", quote=True)
    return (f'<img class="coprod-room-qr" src="data:image/svg+xml;base64,{data}" '
            f'width="{size_px}" height="{size_px}" alt="{alt}">')
