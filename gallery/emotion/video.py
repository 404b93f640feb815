"""Emotions over time in a short video: frames sampled at a fixed rate, faces tracked across them.

OpenCV's FFmpeg backend reads the file (mp4, webm, avi, mov, mkv) from a path, or an upload's
bytes from an anonymous in-memory file (`os.memfd_create`), so an upload is never written to disk.
(OpenCV's own Python stream reader crashed on release inside Streamlit's script thread.) Each sampled frame goes through the same
detection and classification as a photo; a face joins the track whose last box overlaps it most.
"""

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from gallery.errors import UserError

VIDEO_EXTENSIONS = (".mp4", ".webm", ".avi", ".mov", ".mkv", ".m4v")
FRAMES_PER_SECOND = 2.0
MAX_FRAMES = 120  # one minute at 2 frames per second
MAX_FRAME_SIDE = 1280  # larger frames are shrunk on reading (memory; detection searches at ≤ 1,600 px anyway)
MIN_OVERLAP = 0.3  # intersection over union for a face to continue a track
MAX_GAP = 2  # a track continues over at most this many sampled frames without its face


def is_video(path):
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


@contextlib.contextmanager
def readable_path(source):
    """A path OpenCV can open for `source`: the path itself, or an in-memory file holding its bytes."""
    if not isinstance(source, bytes):
        if not Path(source).is_file():
            raise FileNotFoundError(2, "No such file or directory", str(source))
        yield str(source)
    elif hasattr(os, "memfd_create"):  # Linux: the bytes stay in memory
        descriptor = os.memfd_create("gallery-video")
        try:
            os.write(descriptor, source)
            yield f"/proc/self/fd/{descriptor}"
        finally:
            os.close(descriptor)
    else:  # elsewhere a temporary file, removed as soon as the video is read
        with tempfile.NamedTemporaryFile(suffix=".video") as file:
            file.write(source)
            file.flush()
            yield file.name


def sampled_frames(source, per_second=FRAMES_PER_SECOND, max_frames=MAX_FRAMES):
    """(time in s, RGB uint8 frame) pairs, `per_second` of them per second of video, at most `max_frames`.

    `source` is a file path or the bytes of a video file.
    """
    with readable_path(source) as path:
        return read_frames(path, per_second, max_frames)


def read_frames(path, per_second, max_frames):
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not capture.isOpened():
        raise UserError("This file cannot be read as a video (OpenCV's FFmpeg reads mp4, webm, avi, mov and mkv).")
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if 1 <= fps <= 240 else 25.0
    frames, index, next_pick = [], 0, 0.0
    while len(frames) < max_frames and capture.grab():
        if index + 1e-6 >= next_pick:
            ok, bgr = capture.retrieve()
            if ok:
                scale = min(1.0, MAX_FRAME_SIDE / max(bgr.shape[:2]))
                if scale < 1:
                    bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                frames.append((index / fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
            next_pick += fps / per_second
        index += 1
    capture.release()
    if not frames:
        raise UserError("The video has no readable frames.")
    return frames


def overlap(a, b):
    """Intersection over union of two [x, y, w, h] boxes."""
    width = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    height = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1)


def assign_tracks(frames):
    """Set `face["track"]` (0, 1, …) on the faces of each frame's "faces" list; return the number of tracks."""
    tracks = []  # per track: [last box, index of the frame it was last seen in]
    for index, frame in enumerate(frames):
        live = [k for k, (_, seen) in enumerate(tracks) if index - seen <= MAX_GAP]
        pairs = sorted(((overlap(face["box"], tracks[k][0]), i, k) for i, face in enumerate(frame["faces"])
                        for k in live), reverse=True)
        taken_faces, taken_tracks = set(), set()
        for score, i, k in pairs:
            if score >= MIN_OVERLAP and i not in taken_faces and k not in taken_tracks:
                frame["faces"][i]["track"] = k
                taken_faces.add(i)
                taken_tracks.add(k)
        for i, face in enumerate(frame["faces"]):
            if i not in taken_faces:
                face["track"] = len(tracks)
                tracks.append(None)
            tracks[face["track"]] = [face["box"], index]
    return len(tracks)


def analyse_video(analyse_frame, source, per_second=FRAMES_PER_SECOND, max_frames=MAX_FRAMES):
    """Per sampled frame its time and faces (`analyse_frame(rgb)` → face dicts), with track ids.

    Returns {"frames": [{"time_s", "faces"}], "tracks": count}, plus a "message" when no frame has a face.
    """
    frames = [{"time_s": round(time, 3), "faces": analyse_frame(rgb)}
              for time, rgb in sampled_frames(source, per_second, max_frames)]
    result = {"frames": frames, "tracks": assign_tracks(frames)}
    if not result["tracks"]:
        result["message"] = f"no face found in any of the {len(frames)} sampled frames"
    return result


def track_probabilities(result, track):
    """(times in s, probabilities [T, classes], class names) of one track, over the frames it appears in."""
    times, rows, names = [], [], []
    for frame in result["frames"]:
        for face in frame["faces"]:
            if face.get("track") == track:
                names = list(face["probabilities"])
                times.append(frame["time_s"])
                rows.append(list(face["probabilities"].values()))
    return np.asarray(times), np.asarray(rows), names
