"""Unit tests of dynapprox.animate.player: the offline HTML player, the still frame."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from animate_figures import (
    N,
    moving_dot,
    pixels,
    png_image,
    reference_frames,
)

from dynapprox.animate import Animation as ReExported
from dynapprox.animate import record_animation
from dynapprox.animate.player import Animation


def test_html_player_is_offline_deterministic_and_complete():
    a, b = (
        record_animation(
            *moving_dot(),
            N,
            alt='dot "moving" <right>',
            labels=[f"t = {i}" for i in range(N)],
            still=2,
        )
        for _ in range(2)
    )
    html = a.to_html()
    assert (
        html == b.to_html()
    )  # no random ids: the same frames give the same bytes
    # the id does not depend on the images' bytes (fonts may change them), only on the text
    other = Animation(
        frames=tuple(f + b"\0" for f in a.frames),
        alt=a.alt,
        labels=a.labels,
        still=2,
    )
    assert other.element_id == a.element_id
    assert (
        Animation(
            frames=a.frames, alt="another text", labels=a.labels
        ).element_id
        != a.element_id
    )
    assert not re.search(
        r"https?://|//cdn|<link", html
    )  # nothing from the network
    assert html.count("data:image/png;base64,") == N
    assert f'id="{a.element_id}"' in html and f'data-frames="{N}"' in html
    assert 'alt="dot &quot;moving&quot; &lt;right&gt;"' in html
    for action in ("first", "previous", "play", "next", "last"):
        assert f'data-action="{action}"' in html
    assert 'type="range"' in html and f'max="{N - 1}"' in html
    assert "t = 0" in html and html.count("<script>") == 1
    # every frame embedded is one of the frames, in order
    uris = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert [base64.b64decode(u) for u in uris] == list(a.frames)
    assert a.html_bytes == len(html.encode())


def test_mimebundle_offers_player_still_and_text():
    fig, update = moving_dot()
    anim = record_animation(
        fig, update, N, alt="dot", still=1, still_dpi=None
    )
    bundle = anim._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]) == anim.still_image()
    # the still frame is frame 1 (full colour): the dot sits at x = 1/5
    png = pixels(anim.still_image())
    col = np.flatnonzero(
        (np.abs(png - [213, 94, 0]).sum(axis=2) < 30).any(axis=0)
    )
    ref = reference_frames()[1]
    ref_col = np.flatnonzero(
        (np.abs(ref - [213, 94, 0]).sum(axis=2) < 30).any(axis=0)
    )
    np.testing.assert_array_equal(col, ref_col)
    assert (
        bundle["text/plain"]
        == f"<Animation: {N} frames of 150x100 px, still frame 2>"
    )


def test_animation_checks_its_frames():
    with pytest.raises(ValueError, match="same size"):
        Animation(frames=(png_image(4, 4), png_image(5, 4)), alt="x")
    with pytest.raises(ValueError, match="PNG"):
        Animation(frames=(b"GIF89a....................",), alt="x")
    with pytest.raises(TypeError, match="frames"):
        Animation(frames=png_image(4, 4), alt="x")
    with pytest.raises(ValueError, match="at least one"):
        Animation(frames=(), alt="x")
    with pytest.raises(ValueError, match="interval_ms"):
        Animation(frames=(png_image(4, 4),), alt="x", interval_ms=5)


def test_package_reexports_the_public_names():
    import dynapprox.animate as pkg
    from dynapprox.animate import player, record

    assert ReExported is Animation
    assert pkg.__all__ == [*player.__all__, *record.__all__]
    for name in pkg.__all__:
        assert getattr(pkg, name) is getattr(
            player if name in player.__all__ else record, name
        )
