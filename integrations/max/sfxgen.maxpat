{
 "patcher": {
  "fileversion": 1,
  "appversion": {
   "major": 8,
   "minor": 5,
   "revision": 5,
   "architecture": "x64",
   "modernui": 1
  },
  "classnamespace": "box",
  "rect": [
   100.0,
   100.0,
   700.0,
   720.0
  ],
  "bglocked": 0,
  "openinpresentation": 0,
  "default_fontsize": 12.0,
  "default_fontface": 0,
  "default_fontname": "Arial",
  "gridonopen": 1,
  "gridsize": [
   15.0,
   15.0
  ],
  "gridsnaponopen": 1,
  "objectsnaponopen": 1,
  "statusbarvisible": 2,
  "toolbarvisible": 1,
  "boxanimatetime": 200,
  "description": "sfxgen OSC bridge client: prompt -> /sfxgen/generate -> /sfxgen/done path -> buffer~ -> groove~ -> dac~",
  "digest": "",
  "tags": "sfxgen osc",
  "style": "",
  "subpatcher_template": "",
  "assistshowspatchername": 0,
  "boxes": [
   {
    "box": {
     "id": "obj-title",
     "maxclass": "comment",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20.0,
      10.0,
      640.0,
      22.0
     ],
     "text": "sfxgen OSC bridge. Start it with:  sfxgen osc --port 9000 --reply-port 9001 --bundle <bundle> --out <folder>"
    }
   },
   {
    "box": {
     "id": "obj-help1",
     "maxclass": "comment",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20.0,
      34.0,
      640.0,
      22.0
     ],
     "text": "Type a prompt, press Enter: it is sent as /sfxgen/generate <n> <prompt> <duration> 1 loop <ms> (0 ms: a one-shot; e.g. 500: a seamless loop). The finished WAV loads into buffer~ sfxgen_result and plays."
    }
   },
   {
    "box": {
     "id": "obj-prompt",
     "maxclass": "textedit",
     "numinlets": 1,
     "numoutlets": 4,
     "patching_rect": [
      20.0,
      70.0,
      300.0,
      24.0
     ],
     "outlettype": [
      "",
      "int",
      "",
      ""
     ],
     "text": "",
     "keymode": 1,
     "lines": 1
    }
   },
   {
    "box": {
     "id": "obj-dur-label",
     "maxclass": "comment",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      340.0,
      70.0,
      120.0,
      22.0
     ],
     "text": "duration (s)"
    }
   },
   {
    "box": {
     "id": "obj-dur",
     "maxclass": "flonum",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      340.0,
      94.0,
      60.0,
      22.0
     ],
     "outlettype": [
      "",
      "bang"
     ],
     "format": 6,
     "minimum": 0.25,
     "maximum": 30.0,
     "parameter_enable": 0
    }
   },
   {
    "box": {
     "id": "obj-dur-init",
     "maxclass": "message",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      420.0,
      94.0,
      40.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "2."
    }
   },
   {
    "box": {
     "id": "obj-xfade-label",
     "maxclass": "comment",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      480.0,
      70.0,
      200.0,
      22.0
     ],
     "text": "loop crossfade (ms, 0 = one-shot)"
    }
   },
   {
    "box": {
     "id": "obj-xfade",
     "maxclass": "flonum",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      480.0,
      94.0,
      60.0,
      22.0
     ],
     "outlettype": [
      "",
      "bang"
     ],
     "format": 6,
     "minimum": 0.0,
     "maximum": 10000.0,
     "parameter_enable": 0
    }
   },
   {
    "box": {
     "id": "obj-loadbang",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      420.0,
      66.0,
      60.0,
      22.0
     ],
     "outlettype": [
      "bang"
     ],
     "text": "loadbang"
    }
   },
   {
    "box": {
     "id": "obj-tosymbol",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      130.0,
      70.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "tosymbol"
    }
   },
   {
    "box": {
     "id": "obj-trig",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      20.0,
      160.0,
      60.0,
      22.0
     ],
     "outlettype": [
      "bang",
      ""
     ],
     "text": "t b s"
    }
   },
   {
    "box": {
     "id": "obj-counter",
     "maxclass": "newobj",
     "numinlets": 5,
     "numoutlets": 4,
     "patching_rect": [
      20.0,
      190.0,
      60.0,
      22.0
     ],
     "outlettype": [
      "int",
      "",
      "",
      "int"
     ],
     "text": "counter"
    }
   },
   {
    "box": {
     "id": "obj-pack",
     "maxclass": "newobj",
     "numinlets": 6,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      230.0,
      170.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "pack 0 s 2. 1 loop 0."
    }
   },
   {
    "box": {
     "id": "obj-prepend-gen",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      260.0,
      160.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "prepend /sfxgen/generate"
    }
   },
   {
    "box": {
     "id": "obj-ping",
     "maxclass": "message",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      200.0,
      260.0,
      90.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "/sfxgen/ping"
    }
   },
   {
    "box": {
     "id": "obj-status",
     "maxclass": "message",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      300.0,
      260.0,
      100.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "/sfxgen/status"
    }
   },
   {
    "box": {
     "id": "obj-udpsend",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20.0,
      300.0,
      170.0,
      22.0
     ],
     "text": "udpsend 127.0.0.1 9000"
    }
   },
   {
    "box": {
     "id": "obj-udpreceive",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      360.0,
      110.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "udpreceive 9001"
    }
   },
   {
    "box": {
     "id": "obj-route",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 8,
     "patching_rect": [
      20.0,
      390.0,
      560.0,
      22.0
     ],
     "outlettype": [
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      ""
     ],
     "text": "route /sfxgen/done /sfxgen/error /sfxgen/busy /sfxgen/progress /sfxgen/accepted /sfxgen/pong /sfxgen/status"
    }
   },
   {
    "box": {
     "id": "obj-nth",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 2,
     "patching_rect": [
      20.0,
      430.0,
      70.0,
      22.0
     ],
     "outlettype": [
      "",
      ""
     ],
     "text": "zl nth 2"
    }
   },
   {
    "box": {
     "id": "obj-prepend-replace",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      460.0,
      110.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "prepend replace"
    }
   },
   {
    "box": {
     "id": "obj-buffer",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      20.0,
      490.0,
      160.0,
      22.0
     ],
     "outlettype": [
      "float",
      "bang"
     ],
     "text": "buffer~ sfxgen_result"
    }
   },
   {
    "box": {
     "id": "obj-loaded",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      520.0,
      40.0,
      22.0
     ],
     "outlettype": [
      "bang"
     ],
     "text": "t b"
    }
   },
   {
    "box": {
     "id": "obj-restart",
     "maxclass": "message",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      550.0,
      30.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "0"
    }
   },
   {
    "box": {
     "id": "obj-loop",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      80.0,
      520.0,
      110.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "loadmess loop 0"
    }
   },
   {
    "box": {
     "id": "obj-speed",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      200.0,
      520.0,
      50.0,
      22.0
     ],
     "outlettype": [
      "signal"
     ],
     "text": "sig~ 1"
    }
   },
   {
    "box": {
     "id": "obj-groove",
     "maxclass": "newobj",
     "numinlets": 3,
     "numoutlets": 2,
     "patching_rect": [
      20.0,
      590.0,
      190.0,
      22.0
     ],
     "outlettype": [
      "signal",
      "signal"
     ],
     "text": "groove~ sfxgen_result 1"
    }
   },
   {
    "box": {
     "id": "obj-gain",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      20.0,
      620.0,
      50.0,
      22.0
     ],
     "outlettype": [
      "signal"
     ],
     "text": "*~ 0.8"
    }
   },
   {
    "box": {
     "id": "obj-dsp-on",
     "maxclass": "message",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      120.0,
      620.0,
      40.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "start"
    }
   },
   {
    "box": {
     "id": "obj-dsp-off",
     "maxclass": "message",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      170.0,
      620.0,
      40.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "stop"
    }
   },
   {
    "box": {
     "id": "obj-dac",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 0,
     "patching_rect": [
      20.0,
      660.0,
      50.0,
      22.0
     ],
     "text": "dac~"
    }
   },
   {
    "box": {
     "id": "obj-help2",
     "maxclass": "comment",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      230.0,
      655.0,
      420.0,
      22.0
     ],
     "text": "click 'start' once to turn audio on (or use the Audio Status window)"
    }
   },
   {
    "box": {
     "id": "obj-print",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      300.0,
      430.0,
      90.0,
      22.0
     ],
     "text": "print sfxgen"
    }
   },
   {
    "box": {
     "id": "obj-prepend-err",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      200.0,
      460.0,
      70.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "prepend error"
    }
   },
   {
    "box": {
     "id": "obj-prepend-busy",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      280.0,
      460.0,
      90.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "prepend busy"
    }
   },
   {
    "box": {
     "id": "obj-prepend-set",
     "maxclass": "newobj",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      200.0,
      500.0,
      80.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": "prepend set"
    }
   },
   {
    "box": {
     "id": "obj-last",
     "maxclass": "message",
     "numinlets": 2,
     "numoutlets": 1,
     "patching_rect": [
      200.0,
      530.0,
      380.0,
      22.0
     ],
     "outlettype": [
      ""
     ],
     "text": ""
    }
   }
  ],
  "lines": [
   {
    "patchline": {
     "source": [
      "obj-loadbang",
      0
     ],
     "destination": [
      "obj-dur-init",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-dur-init",
      0
     ],
     "destination": [
      "obj-dur",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prompt",
      0
     ],
     "destination": [
      "obj-tosymbol",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-tosymbol",
      0
     ],
     "destination": [
      "obj-trig",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-trig",
      1
     ],
     "destination": [
      "obj-pack",
      1
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-trig",
      0
     ],
     "destination": [
      "obj-counter",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-counter",
      0
     ],
     "destination": [
      "obj-pack",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-dur",
      0
     ],
     "destination": [
      "obj-pack",
      2
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-pack",
      0
     ],
     "destination": [
      "obj-prepend-gen",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prepend-gen",
      0
     ],
     "destination": [
      "obj-udpsend",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-ping",
      0
     ],
     "destination": [
      "obj-udpsend",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-status",
      0
     ],
     "destination": [
      "obj-udpsend",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-udpreceive",
      0
     ],
     "destination": [
      "obj-route",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      0
     ],
     "destination": [
      "obj-nth",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-nth",
      0
     ],
     "destination": [
      "obj-prepend-replace",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prepend-replace",
      0
     ],
     "destination": [
      "obj-buffer",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-buffer",
      1
     ],
     "destination": [
      "obj-loaded",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-loaded",
      0
     ],
     "destination": [
      "obj-restart",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-restart",
      0
     ],
     "destination": [
      "obj-groove",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-loop",
      0
     ],
     "destination": [
      "obj-groove",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-speed",
      0
     ],
     "destination": [
      "obj-groove",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-groove",
      0
     ],
     "destination": [
      "obj-gain",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-gain",
      0
     ],
     "destination": [
      "obj-dac",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-gain",
      0
     ],
     "destination": [
      "obj-dac",
      1
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-dsp-on",
      0
     ],
     "destination": [
      "obj-dac",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-dsp-off",
      0
     ],
     "destination": [
      "obj-dac",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      0
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      1
     ],
     "destination": [
      "obj-prepend-err",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      2
     ],
     "destination": [
      "obj-prepend-busy",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prepend-err",
      0
     ],
     "destination": [
      "obj-prepend-set",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prepend-busy",
      0
     ],
     "destination": [
      "obj-prepend-set",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prepend-err",
      0
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prepend-busy",
      0
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      3
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      5
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      6
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-route",
      7
     ],
     "destination": [
      "obj-print",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-prepend-set",
      0
     ],
     "destination": [
      "obj-last",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "obj-xfade",
      0
     ],
     "destination": [
      "obj-pack",
      5
     ]
    }
   }
  ],
  "dependency_cache": [],
  "autosave": 0
 }
}
