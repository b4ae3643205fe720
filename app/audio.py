"""The input's audio in the side-by-side MP4: a remux after the video is written, the video stream copied as is."""
from __future__ import annotations

import os
import re
import subprocess
import warnings
from pathlib import Path

# Audio codecs an MP4 holds as they are; others (PCM, Vorbis, ...) are encoded to AAC.
MP4_AUDIO_CODECS = {"aac", "mp3", "alac", "ac3", "eac3"}


def audio_codec(path: Path) -> str | None:
    """The codec name of the first audio stream of ``path`` as the bundled ffmpeg reports it, None if it has none."""
    import imageio_ffmpeg

    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                            capture_output=True, text=True, errors="replace")
    match = re.search(r"Stream #\d+:\d+\S*: Audio: (\w+)", result.stderr)
    return match.group(1) if match else None


def copy_audio(source: Path, video: Path) -> bool:
    """Give ``video`` (an MP4 with one video stream) the first audio track of ``source``, in place and atomically.

    The video stream is copied bit for bit (frame count and rate unchanged) and the audio keeps its timing from
    the start of the source file, where the video's frame 0 is the source's first frame (files whose video stream
    starts later than their audio are not corrected for it). The audio is copied where MP4 holds its codec, else
    encoded to AAC. Returns whether audio was added; a source without audio leaves ``video`` untouched, and so
    does a failed remux, with a warning.
    """
    import imageio_ffmpeg

    codec = audio_codec(source)
    if codec is None:
        return False
    partial = video.with_name(f".{video.stem}.audio.partial{video.suffix}")
    audio_options = ["-c:a", "copy"] if codec in MP4_AUDIO_CODECS else ["-c:a", "aac", "-b:a", "192k"]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(video),
               "-i", str(source), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *audio_options,
               "-movflags", "+faststart", str(partial)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace")
        if result.returncode != 0:
            warnings.warn(f"{video.name}: the audio of {source.name} could not be added "
                          f"({result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode})")
            return False
        os.replace(partial, video)
        return True
    finally:
        partial.unlink(missing_ok=True)
