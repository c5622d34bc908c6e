# motcua: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit bench system-deps demo-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## Debian packages the demo needs (fonts with full Vietnamese coverage, the voice, USB printers) and those the
## tests and benchmarks start for real (a broker, a database server, a browser, the HTTPS reverse proxy).
DEMO_APT_PACKAGES := fonts-dejavu-core espeak-ng libusb-1.0-0
APT_PACKAGES := $(DEMO_APT_PACKAGES) mosquitto mosquitto-clients postgresql chromium nginx-light faketime systemd
apt_install = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

system-deps:
	@$(call apt_install,$(APT_PACKAGES))

demo-deps:
	@$(call apt_install,$(DEMO_APT_PACKAGES))

## The whole office on the embedded defaults: in-process broker, SQLite, simulated devices.
demo: demo-deps $(STAMP)
	SDL_VIDEODRIVER=dummy $(BIN)/python -m queue_server.demo.kiosk_tour --screenshots var/kiosk-screens
	@echo "kiosk screens (headless tour): var/kiosk-screens/*.png"
	SDL_VIDEODRIVER=dummy $(BIN)/python -m queue_server.demo.kiosk_tour --demo-tour var/kiosk-demo
	@echo "a real ticket taken at the kiosk (ID-card scan, 60+ priority): var/kiosk-demo/*.png, printed-ticket.png"
	$(BIN)/motcua demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: system-deps $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: system-deps $(STAMP)
	$(BIN)/motcua bench

clean:
	rm -rf $(VENV) var build *.egg-info
