<#
.SYNOPSIS
    Build photoclip for Windows: the PyInstaller bundle dist\photoclip\, smoke-tested,
    then the Inno Setup installer dist\photoclip-VERSION-windows-x64-setup.exe.

.DESCRIPTION
    Run from anywhere, in PowerShell 5.1 or 7:
        powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
    Needs: Python 3.10+ with photoclip and its dependencies installed (by default the
    project's .venv; `python -m venv .venv; .venv\Scripts\pip install -e .` makes it; on
    Windows pip installs the CPU build of PyTorch, which keeps the bundle small), and
    Inno Setup 6.3 or later (https://jrsoftware.org/isinfo.php, or `winget install
    JRSoftware.InnoSetup`). PyInstaller is installed into the Python environment if missing.

.PARAMETER Python
    The Python to build with. Default: .venv\Scripts\python.exe, else python on PATH.
.PARAMETER Iscc
    Inno Setup's compiler. Default: ISCC.exe on PATH, else the usual install folders.
.PARAMETER SkipInstaller
    Build and smoke-test the bundle only.
#>
[CmdletBinding()]
param(
    [string]$Python = "",
    [string]$Iscc = "",
    [switch]$SkipInstaller
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root

function Say([string]$Message) { Write-Host "build.ps1: $Message" }
function Fail([string]$Message) { Write-Host "build.ps1: FAILED: $Message" -ForegroundColor Red; exit 1 }
# Native programs report failure by exit code, which $ErrorActionPreference does not see;
# and Windows PowerShell 5.1 turns their stderr into terminating errors under "Stop", so
# they run with "Continue" and are judged by exit code alone.
function Invoke-Checked([string]$What, [scriptblock]$Command) {
    $ErrorActionPreference = "Continue"
    & $Command
    if ($LASTEXITCODE -ne 0) { Fail "$What exited $LASTEXITCODE" }
}
function Test-Native([scriptblock]$Command) {
    $ErrorActionPreference = "Continue"
    & $Command *> $null
    return ($LASTEXITCODE -eq 0)
}

if (-not $Python) {
    $venvPython = Join-Path $Root ".venv\Scripts\python.exe"
    if (Test-Path $venvPython) { $Python = $venvPython } else { $Python = "python" }
}
$match = Select-String -Path (Join-Path $Root "photoclip\__init__.py") -Pattern '^__version__ = "(.+)"$'
if (-not $match) { Fail "no __version__ in photoclip\__init__.py" }
$Version = $match.Matches[0].Groups[1].Value
$NumericVersion = ($Version -replace '[^0-9.].*$', '').TrimEnd('.')

if (-not (Test-Native { & $Python -c "import PyInstaller" })) {
    Say "installing PyInstaller"
    Invoke-Checked "pip install pyinstaller" { & $Python -m pip install --quiet pyinstaller }
}

# --- icon --------------------------------------------------------------------------------
$BuildDir = Join-Path $Root "build\windows"
New-Item -ItemType Directory -Force -Path $BuildDir | Out-Null
$Ico = Join-Path $BuildDir "photoclip.ico"
Invoke-Checked "make_icons.py" { & $Python (Join-Path $Root "installer\make_icons.py") --ico $Ico }

# --- bundle ------------------------------------------------------------------------------
Say "building photoclip $Version with PyInstaller (several minutes)"
$env:PHOTOCLIP_ICON_ICO = $Ico
$started = Get-Date
Invoke-Checked "PyInstaller" {
    & $Python -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build\pyinstaller installer\photoclip.spec
}
Say ("built dist\photoclip in {0:N0} s" -f ((Get-Date) - $started).TotalSeconds)
$Exe = Join-Path $Root "dist\photoclip\photoclip.exe"
$AppExe = Join-Path $Root "dist\photoclip\photoclip-app.exe"
foreach ($file in @($Exe, $AppExe)) { if (-not (Test-Path $file)) { Fail "$file missing" } }

# --- smoke tests: from a scratch folder, offline, with a scratch library and cache -------
$Scratch = Join-Path ([System.IO.Path]::GetTempPath()) ("photoclip-smoke-" + [guid]::NewGuid())
New-Item -ItemType Directory -Force -Path $Scratch | Out-Null
$saved = @{}
foreach ($name in @("PHOTOCLIP_CACHE", "PHOTOCLIP_LIBRARY", "HF_HUB_OFFLINE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")) {
    $saved[$name] = [Environment]::GetEnvironmentVariable($name)
}
try {
    $env:PHOTOCLIP_CACHE = Join-Path $Scratch "cache"
    $env:PHOTOCLIP_LIBRARY = Join-Path $Scratch "library"
    $env:HF_HUB_OFFLINE = "1"
    Remove-Item Env:PYTHONPATH, Env:PYTHONHOME, Env:VIRTUAL_ENV -ErrorAction SilentlyContinue
    Push-Location $Scratch
    try {
        $ErrorActionPreference = "Continue"  # see Invoke-Checked; stderr goes to the console
        Say "smoke test 1: photoclip --version"
        $out = (& $Exe --version | Out-String).Trim()
        if ($LASTEXITCODE -ne 0) { Fail "photoclip --version exited $LASTEXITCODE" }
        Write-Host $out
        if ($out -ne "photoclip $Version") { Fail "expected 'photoclip $Version', got '$out'" }

        Say "smoke test 2: photoclip doctor --selftest"
        $out = (& $Exe --library (Join-Path $Scratch "library") doctor --selftest | Out-String)
        $rc = $LASTEXITCODE
        Write-Host $out
        if ($rc -ne 0) { Fail "doctor --selftest exited $rc" }
        if ($out -notmatch '(?m)^\[ok  \] self-test: ') { Fail "no '[ok  ] self-test' line" }
        $ErrorActionPreference = "Stop"
    }
    finally { Pop-Location }
}
finally {
    foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    Remove-Item -Recurse -Force $Scratch -ErrorAction SilentlyContinue
}
$bytes = (Get-ChildItem -Recurse -File (Join-Path $Root "dist\photoclip") | Measure-Object -Sum Length).Sum
Say ("bundle: dist\photoclip, {0:N0} MB" -f ($bytes / 1MB))

if ($SkipInstaller) { Say "ok (installer skipped)"; exit 0 }

# --- installer ---------------------------------------------------------------------------
if (-not $Iscc) {
    $onPath = Get-Command ISCC.exe -ErrorAction SilentlyContinue
    $candidates = @()
    if ($onPath) { $candidates += $onPath.Source }
    foreach ($base in @(${env:ProgramFiles(x86)}, $env:ProgramFiles, (Join-Path $env:LOCALAPPDATA "Programs"))) {
        if ($base) { $candidates += (Join-Path $base "Inno Setup 6\ISCC.exe") }
    }
    $Iscc = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $Iscc) { Fail "Inno Setup's ISCC.exe not found: install Inno Setup 6 or pass -Iscc PATH" }
}
$isccArgs = @(
    "/DAppVersion=$Version",
    "/DNumericVersion=$NumericVersion",
    "/DSourceDir=$(Join-Path $Root 'dist\photoclip')",
    "/DOutputDir=$(Join-Path $Root 'dist')",
    "/DIconFile=$Ico"
)
# Inno Setup needs disk spanning past about 2 GB of compressed data (a CUDA PyTorch).
if ($bytes -gt 2GB) { $isccArgs += "/DDiskSpanning"; Say "large bundle: the installer is split into slices" }
Say "compiling the installer with $Iscc"
Invoke-Checked "ISCC" { & $Iscc @isccArgs (Join-Path $Root "installer\windows\photoclip.iss") }
$Setup = Join-Path $Root "dist\photoclip-$Version-windows-x64-setup.exe"
if (-not (Test-Path $Setup)) { Fail "$Setup missing" }
Say ("ok: $Setup ({0:N0} MB)" -f ((Get-Item $Setup).Length / 1MB))
