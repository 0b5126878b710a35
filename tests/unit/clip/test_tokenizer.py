"""The torch-free tokenizer gives open_clip's token ids, and text queries import no torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from photoclip.core.clip.text_towers import check_prompts
from photoclip.core.clip.tokenizer import ClipTokenizer

EDGE_CASES = [
    "",
    "a photo of a dog",
    "Kids on a BEACH at sunset!!",
    "caf\u00e9 &amp; cr\u00e8me br\u00fbl\u00e9e",
    "\u65e5\u672c\u306e\u685c \U0001f338",
    "  lots   of\tspace \n",
    "x" * 400,
    " ".join(["word"] * 100),
    "it's they're I'll we'd",
    "<start_of_text> hi <end_of_text>",
]


@pytest.mark.parametrize("context", [77, 32])
def test_token_ids_are_open_clips(context: int) -> None:
    from open_clip.tokenizer import SimpleTokenizer

    texts = [*EDGE_CASES, *check_prompts(400)]
    ours = ClipTokenizer(context)(texts)
    theirs = SimpleTokenizer(context_length=context)(texts).numpy()
    assert ours.dtype == np.int64 and ours.shape == (len(texts), context)
    np.testing.assert_array_equal(ours, theirs)


def test_a_text_longer_than_the_context_keeps_its_end_token() -> None:
    tokens = ClipTokenizer(16)(["word " * 50])[0]
    assert tokens[0] == 49406 and tokens[-1] == 49407 and (tokens != 0).all()


def test_text_queries_import_no_torch() -> None:
    code = (
        "import sys, json\n"
        "from photoclip.core.clip.tokenizer import ClipTokenizer\n"
        "import photoclip.core.clip.text_encoder, photoclip.core.clip.text_towers, photoclip.core.vectors.saved\n"
        "import photoclip.core.search.searcher, photoclip.core.library\n"
        "ClipTokenizer(77)(['a dog'])\n"
        "print(json.dumps(sorted(m for m in ('torch', 'open_clip', 'torchvision') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
