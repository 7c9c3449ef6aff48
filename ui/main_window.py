"""The sfxgen panel's main window: controls left, results / history right, status below.

The window wires widgets together; every engine call goes through the
:class:`ui.worker.WorkerController` and comes back as a signal, so the UI
never blocks. Keyboard first: Ctrl+Enter generates, Esc cancels, Space plays
the selected take, 1-9 play take N, L loops, F favourites, R / Shift+R
regenerate, M "more like this", V varies the selected take (it becomes the
start sound), F2 renames, Ctrl+O opens a bundle. Dropping a sound file onto
the window (or "Vary a sound…") makes it the start sound.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSizePolicy,
    QTabWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from sfxgen.init_audio import audio_seconds
from ui import media
from ui.controls import MAX_UI_SEED, ControlPanel, file_stems
from ui.delivery import DeliveryControls
from ui.dialogs import FramePickerDialog, RenameDialog, RenderDialog, retag_file
from ui.history import HistoryStore
from ui.history_view import HistoryView
from ui.player import Player
from ui.results import ResultsView, Variation
from ui.worker import EngineInfo, WorkerController

log = logging.getLogger(__name__)


def default_out_dir() -> Path:
    return Path(platformdirs.user_music_dir()) / "sfxgen"


def recipe_dict(recipe: Any) -> dict[str, Any]:
    """A Recipe (or its JSON, or a dict) as a plain dict."""
    if recipe is None:
        return {}
    if isinstance(recipe, dict):
        return recipe
    if isinstance(recipe, str):
        try:
            return json.loads(recipe)
        except ValueError:
            return {}
    if hasattr(recipe, "to_json"):
        return json.loads(recipe.to_json())
    if dataclasses.is_dataclass(recipe):
        return dataclasses.asdict(recipe)
    return {}


class MainWindow(QMainWindow):
    """sfxgen panel.

    Args:
        controller: the engine worker front (owns the engine thread).
        history: persistent generation history.
        player: audition player (fails soft without an audio device).
        out_dir: where generated WAVs go (a dated folder per day below it).
    """

    # emitted in the GUI thread after the window has updated (worker signals may reach plain callables first)
    generation_done = Signal(object)  # list[Variation]
    generation_failed = Signal(str)  # message shown
    generation_cancelled = Signal()

    def __init__(
        self,
        controller: WorkerController,
        history: HistoryStore,
        player: Player,
        out_dir: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("sfxgen")
        self.resize(1180, 700)
        self.controller = controller
        self.history = history
        self.player = player
        self.out_dir = Path(out_dir) if out_dir is not None else default_out_dir()
        self.engine_info: EngineInfo | None = None
        self.token: int | None = None  # the generation this window waits for
        self.last_error = ""
        self._t0 = 0.0
        self._pending: dict[str, Any] = {}

        self.controls = ControlPanel()
        self.results = ResultsView()
        self.history_view = HistoryView(history)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.results, "Results")
        self.tabs.addTab(self.history_view, "History")
        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.controls)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.setAcceptDrops(True)
        self._build_toolbar()
        self._build_status()
        self._connect()
        self._shortcuts()
        self.controls.set_prompt_history(history.prompts())
        if player.error:
            self.show_message(player.error, warn=True)

    # -- construction ----------------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.bundle_btn = QToolButton()
        self.bundle_btn.setText("Open bundle…")
        self.bundle_btn.setToolTip("pick a model bundle folder (Ctrl+O)")
        self.bundle_btn.clicked.connect(self.pick_bundle)
        self.provider_label = QLabel("no bundle")
        self.provider_label.setObjectName("hint")
        bar.addWidget(QLabel(" Model "))
        bar.addWidget(self.bundle_btn)
        bar.addWidget(self.provider_label)
        bar.addSeparator()
        render = QAction("Render pack…", self)
        render.setShortcut(QKeySequence("Ctrl+P"))
        render.triggered.connect(self.open_render_dialog)
        bar.addAction(render)
        bar.addSeparator()
        bar.addWidget(QLabel(" Files "))
        self.delivery = DeliveryControls()
        bar.addWidget(self.delivery)
        spacer = QWidget()
        spacer.setObjectName("spacer")
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addWidget(QLabel("Output "))
        self.device_box = QComboBox()
        self.device_box.setMinimumWidth(180)
        self.device_box.addItem("System default", None)
        for index, name in self.player.output_devices():
            self.device_box.addItem(name, index)
        self.device_box.setEnabled(self.player.available)
        self.device_box.currentIndexChanged.connect(lambda _i: self.player.set_device(self.device_box.currentData()))
        bar.addWidget(self.device_box)
        self.loop_btn = QToolButton()
        self.loop_btn.setText("Loop")
        self.loop_btn.setCheckable(True)
        self.loop_btn.setToolTip("loop playback (L)")
        self.loop_btn.toggled.connect(self.player.set_loop)
        self.stop_btn = QToolButton()
        self.stop_btn.setText("Stop")
        self.stop_btn.setToolTip("stop playback (S)")
        self.stop_btn.clicked.connect(self.player.stop)
        bar.addWidget(self.loop_btn)
        bar.addWidget(self.stop_btn)

    def _build_status(self) -> None:
        self.status_label = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(220)
        self.progress.setFormat("%p %")
        self.progress.setValue(0)
        self.audio_label = QLabel("audio ✓" if self.player.available else "no audio output")
        self.audio_label.setObjectName("hint")
        self.audio_label.setToolTip(self.player.error or "")
        sb = self.statusBar()
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.audio_label)
        sb.addPermanentWidget(self.progress)

    def _connect(self) -> None:
        w = self.controller.worker
        w.engine_ready.connect(self._on_engine_ready)
        w.engine_failed.connect(self._on_engine_failed)
        w.started.connect(self._on_started)
        w.progress.connect(self._on_progress)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        c = self.controls
        c.generate_clicked.connect(self.generate)
        c.cancel_clicked.connect(self.cancel)
        c.image_dropped.connect(self.set_query_media)
        c.vary_clicked.connect(self.pick_start_sound)
        r = self.results
        r.play_requested.connect(self.play)
        r.favourite_toggled.connect(self.toggle_favourite)
        r.rename_requested.connect(self.rename)
        r.regenerate_same.connect(lambda v: self.regenerate(v, same_seed=True))
        r.regenerate_new.connect(lambda v: self.regenerate(v, same_seed=False))
        r.more_like_this.connect(self.more_like_this)
        self.history_view.play_requested.connect(lambda e: e is not None and self.player.play(e.file))
        self.history_view.load_requested.connect(self.load_recipe)
        self.player.message.connect(self.show_message)

    def _shortcuts(self) -> None:
        def add(keys: str, fn: Any) -> None:
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(fn)

        add("Ctrl+Return", self.generate)
        add("Ctrl+Enter", self.generate)
        add("Escape", self.cancel)
        add("Space", self.play_selected)
        for n in range(1, 10):
            add(str(n), lambda n=n: self.play_number(n))
        add("L", self.loop_btn.toggle)
        add("S", self.player.stop)
        add("F", lambda: self._on_current(self.toggle_favourite))
        add("F2", lambda: self._on_current(self.rename))
        add("R", lambda: self._on_current(lambda v: self.regenerate(v, same_seed=True)))
        add("Shift+R", lambda: self._on_current(lambda v: self.regenerate(v, same_seed=False)))
        add("M", lambda: self._on_current(self.more_like_this))
        add("V", lambda: self._on_current(lambda v: self.set_start_sound(v.path)))
        add("Ctrl+O", self.pick_bundle)
        add("Ctrl+L", lambda: (self.controls.prompt.setFocus(), self.controls.prompt.selectAll()))
        add("Ctrl+F", lambda: (self.tabs.setCurrentWidget(self.history_view), self.history_view.search.setFocus()))

    # -- bundle ----------------------------------------------------------------------------------------------
    def open_bundle(self, path: str | Path) -> None:
        self.provider_label.setText("opening…")
        self.show_message(f"Opening bundle {path} …")
        self.controller.open_bundle(path)

    def pick_bundle(self) -> None:
        start = str(self.engine_info.root.parent) if self.engine_info else os.getcwd()
        path = QFileDialog.getExistingDirectory(self, "Model bundle folder", start)
        if path:
            self.open_bundle(path)

    def _on_engine_ready(self, info: EngineInfo) -> None:
        self.engine_info = info
        self.bundle_btn.setText(info.bundle_id)
        self.bundle_btn.setToolTip(f"{info.root}\nclick to open another bundle (Ctrl+O)")
        self.provider_label.setText(info.provider_short)
        self.provider_label.setObjectName("providerCuda" if info.provider_short == "CUDA" else "provider")
        self.provider_label.style().polish(self.provider_label)
        self.provider_label.setToolTip(info.provider)
        self.controls.apply_defaults(info.defaults, info.library_entries)
        self.controls.drop.setEnabled(info.has_image_encoder)
        if not info.has_image_encoder:
            self.controls.drop.setText("this bundle has no image encoder:\nimage queries are off")
        self.show_message(f"Bundle {info.bundle_id} ready on {info.provider_short}")

    def _on_engine_failed(self, message: str) -> None:
        self.provider_label.setText("no bundle")
        self.show_error(message)

    # -- generation ------------------------------------------------------------------------------------------
    def generate(self, overrides: dict[str, Any] | None = None) -> int | None:
        """Build a request from the controls (plus ``overrides``) and queue it; returns the job token."""
        if self.token is not None:
            self.show_message("Still generating: Esc cancels the running job", warn=True)
            return None
        settings = self.controls.settings(roll_seed=not overrides or "seed" not in overrides)
        settings.update(overrides or {})
        if not settings["prompt"] and settings["image"] is None:
            self.show_error("Type a prompt (or drop an image) first")
            self.controls.prompt.setFocus()
            return None
        from sfxgen.request import GenerateRequest  # numpy-level import, no onnxruntime

        out_dir = self.out_dir / time.strftime("%Y-%m-%d")
        seeds = [settings["seed"] + i for i in range(settings["variations"])]
        request = GenerateRequest(
            prompt=settings["prompt"],
            image=settings["image"],
            blend_prompt=settings["blend_prompt"],
            blend=settings["blend"],
            duration=settings["duration"],
            variations=settings["variations"],
            seed=settings["seed"],
            guidance=settings["guidance"],
            steps=settings["steps"],
            sampler=settings["sampler"],
            init_audio=settings["init_audio"],
            strength=settings["strength"],
            channels=settings["channels"],
            finish=settings.get("finish") or self.delivery.finish_spec(settings["loop_ms"]),
            out_dir=out_dir,
            file_stems=file_stems(out_dir, settings["prompt"], seeds),
        )
        return self.submit(request)

    def submit(self, request: Any) -> int:
        """Queue a ready-made GenerateRequest."""
        self.controls.error.setText("")
        self.last_error = ""
        self._t0 = time.perf_counter()
        self.token = self.controller.generate(request)
        self._pending = {"request": request}
        self.controls.set_busy(True)
        self.progress.setValue(0)
        self.show_message(f"Queued: {request.prompt or 'image query'} ×{request.variations}")
        return self.token

    def cancel(self) -> None:
        if self.token is not None:
            self.controller.cancel(self.token)
            self.show_message("Cancelling…")
        else:
            self.player.stop()

    def _on_started(self, token: int) -> None:
        if token == self.token:
            req = self._pending.get("request")
            self.show_message(f"Generating {req.prompt or 'image query'} …" if req else "Generating …")

    def _on_progress(self, token: int, fraction: float) -> None:
        if token == self.token:
            self.progress.setValue(round(100 * fraction))

    def _on_finished(self, token: int, result: Any) -> None:
        if token != self.token:
            return
        self._end_job()
        self.progress.setValue(100)
        req = self._pending.get("request")
        variations = []
        for i, (path, seed, recipe) in enumerate(zip(result.files, result.seeds, result.recipes), start=1):
            r = recipe_dict(recipe)
            entry = self.history.add(
                prompt=r.get("prompt", getattr(req, "prompt", "")),
                blend_prompt=r.get("blend_prompt", ""),
                blend=float(r.get("blend", 0.0)),
                image_path=r.get("image_path"),
                file=path,
                seed=int(seed),
                duration=float(result.seconds),
                sample_rate=int(result.sample_rate),
                bundle_id=r.get("bundle_id", ""),
                recipe=json.dumps(r),
            )
            variations.append(
                Variation(
                    index=i,
                    path=Path(path),
                    seed=int(seed),
                    prompt=entry.prompt,
                    duration=float(result.seconds),
                    sample_rate=int(result.sample_rate),
                    recipe=r,
                    history_id=entry.id,
                )
            )
        self.results.set_variations(variations)
        self.tabs.setCurrentWidget(self.results)
        self.results.setFocus()
        self.controls.set_prompt_history(self.history.prompts())
        self.history_view.reload()
        took = time.perf_counter() - self._t0
        folder = Path(result.files[0]).parent
        self.show_message(f"{len(variations)} variations in {took:.1f} s → …/{folder.parent.name}/{folder.name}")
        self.status_label.setToolTip(str(folder))
        self.generation_done.emit(variations)

    def _on_failed(self, token: int, message: str) -> None:
        if token == self.token:
            self._end_job()
            self.show_error(f"Generation failed: {message}")
            self.generation_failed.emit(message)

    def _on_cancelled(self, token: int) -> None:
        if token == self.token:
            self._end_job()
            self.progress.setValue(0)
            self.show_message("Cancelled")
            self.generation_cancelled.emit()

    def _end_job(self) -> None:
        self.token = None
        self.controls.set_busy(False)

    # -- takes -----------------------------------------------------------------------------------------------
    def _on_current(self, fn: Any) -> None:
        v = self.results.current_variation()
        if v is not None:
            fn(v)

    def play(self, v: Variation | None) -> None:
        if v is not None:
            self.player.play(v.path)

    def play_selected(self) -> None:
        if self.tabs.currentWidget() is self.history_view:
            e = self.history_view.entry(self.history_view.table.currentItem())
            if e is not None:
                self.player.play(e.file)
            return
        self.play(self.results.current_variation())

    def play_number(self, n: int) -> None:
        self.tabs.setCurrentWidget(self.results)
        self.play(self.results.by_number(n))

    def toggle_favourite(self, v: Variation) -> None:
        v.favourite = not v.favourite
        if v.history_id is not None:
            self.history.set_favourite(v.history_id, v.favourite)
            self.history_view.reload()
        self.results.refresh(v)

    def rename(self, v: Variation) -> None:
        dlg = RenameDialog(v.path, v.tags, self)
        if not dlg.exec():
            return
        target, tags = dlg.new_path(), dlg.tags()
        if target != v.path and target.exists():
            self.show_error(f"{target.name} exists already: pick another take number")
            return
        try:
            tags = retag_file(v.path, target, tags)
        except (OSError, ValueError) as exc:  # FileExistsError, WavFormatError, UcsError: nothing was changed
            self.show_error(f"Could not rename {v.path.name}: {exc}")
            return
        v.path, v.tags, v.name = target, tags, target.stem
        if v.history_id is not None:
            self.history.rename(v.history_id, file=target, name=target.stem, tags=tags)
            self.history_view.reload()
        self.results.refresh(v)
        self.show_message(f"Renamed to {target.name}")

    def _recipe_overrides(self, v: Variation) -> dict[str, Any]:
        r = recipe_dict(v.recipe)
        image = r.get("image_path")
        init = r.get("init_path") if r.get("init_sha256") else None
        return {
            "prompt": r.get("prompt", v.prompt),
            "blend_prompt": r.get("blend_prompt", ""),
            "blend": float(r.get("blend", 0.0)),
            "image": Path(image) if image else None,
            "duration": float(r.get("duration", v.duration)),
            "guidance": float(r.get("guidance", self.controls.guidance.value())),
            "steps": int(r.get("steps", self.controls.steps.value())),
            "sampler": r.get("sampler", self.controls.sampler.currentText()),
            "init_audio": Path(init) if init else None,
            "strength": float(r.get("strength", 1.0)),  # recipes leave out strength 1 (from noise)
            "finish": _recipe_finish(r),  # the take's own format, level and loop
            "channels": int(r.get("channels", 1)),  # recipes of mono takes leave it out
        }

    def regenerate(self, v: Variation, *, same_seed: bool) -> int | None:
        """Same recipe; the take's own seed (one file) or a fresh seed (as many variations as set)."""
        o = self._recipe_overrides(v)
        if same_seed:
            o.update(seed=v.seed, variations=1)
        else:
            o.update(seed=self.controls.new_seed(), variations=int(self.controls.variations.value()))
        return self.generate(o)

    def load_recipe(self, entry: Any) -> None:
        """A history entry's settings back into the controls (its prompt, seed, format, loop ...)."""
        recipe = recipe_dict(entry.recipe)
        self.controls.apply_recipe(recipe)
        self.delivery.apply(recipe.get("finish"))

    def more_like_this(self, v: Variation) -> int | None:
        """Same recipe, the next seeds after the take's batch."""
        r = recipe_dict(v.recipe)
        batch = [int(s) for s in r.get("batch_seeds", [v.seed])] or [v.seed]
        o = self._recipe_overrides(v)
        o.update(seed=min(max(batch) + 1, MAX_UI_SEED), variations=int(self.controls.variations.value()))
        return self.generate(o)

    # -- start sound (variations of a sound) ------------------------------------------------------------------
    def pick_start_sound(self) -> None:
        """Choose a sound file to make variations of (the "Vary a sound…" button)."""
        start = str(self.controls.init_audio.parent) if self.controls.init_audio else str(self.out_dir)
        path, _ = QFileDialog.getOpenFileName(self, "Vary a sound", start, media.AUDIO_FILTER)
        if path:
            self.set_start_sound(path)

    def set_start_sound(self, path: str | Path) -> bool:
        """Make ``path`` the start sound (its length becomes the duration); False with an error if unreadable."""
        p = Path(path)
        seconds = audio_seconds(p)
        if seconds is None:
            self.show_error(f"{p.name}: not a readable sound file (use WAV, FLAC or OGG)")
            return False
        self.controls.set_init_audio(p, seconds)
        self.show_message(f"Start sound: {p.name} ({seconds:.2f} s); Strength sets how much of it is redrawn")
        return True

    # -- image / video query ---------------------------------------------------------------------------------
    def set_query_media(self, path: str) -> None:
        p = Path(path)
        if media.is_audio(p):
            self.set_start_sound(p)
        elif media.is_image(p):
            self.controls.set_image(p)
            self.show_message(f"Image query: {p.name}")
        elif media.is_video(p):
            problem = media.video_support()
            if problem:
                self.show_error(problem)
                return
            dlg = FramePickerDialog(p, self)
            if dlg.exec() and dlg.frame is not None:
                cache = Path(platformdirs.user_cache_dir("sfxgen", appauthor=False)) / "frames"
                frame = media.save_frame(dlg.frame, cache, p, dlg.seconds)
                self.controls.set_image(frame)
                self.show_message(f"Image query: frame at {dlg.seconds:.1f} s of {p.name}")
        else:
            self.show_error(f"{p.name}: drop an image (png, jpg …), a video (mp4, mov …) or a sound (wav, flac, ogg)")

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.set_query_media(urls[0])

    # -- render ----------------------------------------------------------------------------------------------
    def open_render_dialog(self) -> RenderDialog:
        dlg = RenderDialog(self.controller, self.out_dir / "packs", self)
        dlg.show()
        return dlg

    # -- messages --------------------------------------------------------------------------------------------
    def show_message(self, text: str, warn: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #ffb454;" if warn else "")

    def show_error(self, text: str) -> None:
        self.last_error = text
        self.controls.error.setText(text)
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #ff6b6b;")
        log.warning("%s", text)

    def closeEvent(self, event: Any) -> None:
        self.player.stop()
        self.history_view.stop_pending()
        super().closeEvent(event)


def _recipe_finish(recipe: dict[str, Any]) -> Any:
    """The FinishSpec a recipe records, or None (then the toolbar's) when it has none or an unreadable one."""
    from sfxgen.finishing import FinishSpec

    try:
        return FinishSpec.from_dict(recipe["finish"]) if recipe.get("finish") else None
    except ValueError:
        return None
