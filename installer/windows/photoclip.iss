; Inno Setup 6 script: a Windows installer for the PyInstaller bundle dist\photoclip\.
;
; Built by installer\windows\build.ps1, which runs PyInstaller first and then:
;   ISCC.exe /DAppVersion=0.1.0 /DSourceDir=...\dist\photoclip /DOutputDir=...\dist ^
;            /DIconFile=...\build\windows\photoclip.ico installer\windows\photoclip.iss
; Optional: /DDiskSpanning for a bundle over about 2 GB compressed (a CUDA build of
; PyTorch); the installer then comes as setup.exe plus .bin slices.
;
; Installs per user by default (no administrator rights needed; the setup offers
; "install for all users" too), adds a Start menu entry, optionally a desktop icon and
; the `photoclip` command on PATH. Uninstalling leaves the user's library and model
; cache alone (%LOCALAPPDATA%\photoclip).

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z (build.ps1 does)
#endif
#ifndef NumericVersion
  ; Windows file versions are numbers only (build.ps1 passes 1.2.0 for 1.2.0rc1)
  #define NumericVersion AppVersion
#endif
#ifndef SourceDir
  #define SourceDir AddBackslash(SourcePath) + "..\..\dist\photoclip"
#endif
#ifndef OutputDir
  #define OutputDir AddBackslash(SourcePath) + "..\..\dist"
#endif
#ifndef IconFile
  #define IconFile AddBackslash(SourcePath) + "..\..\build\windows\photoclip.ico"
#endif
#define AppName "photoclip"
#define AppUserModelId "io.github.photoclip.Photoclip"

#if !FileExists(AddBackslash(SourceDir) + "photoclip-app.exe")
  #error SourceDir has no photoclip-app.exe: build the bundle first (installer\windows\build.ps1)
#endif

[Setup]
; The AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{3F0A8C52-6C1E-4B7D-9E2A-5D4B1C7F9A63}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The photoclip authors
AppPublisherURL=https://github.com/photoclip/photoclip
AppSupportURL=https://github.com/photoclip/photoclip/issues
AppComments=Find and organize your photos by meaning, entirely on your own computer.
VersionInfoVersion={#NumericVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=photoclip-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\photoclip-app.exe
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
LZMAUseSeparateProcess=yes
ChangesEnvironment=yes
CloseApplications=yes
#ifdef DiskSpanning
DiskSpanning=yes
DiskSliceSize=max
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the photoclip command to PATH (for the command line)"; GroupDescription: "Command line:"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle: files an older version had must not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\photoclip-app.exe"; Comment: "Find and organize your photos by meaning"; AppUserModelID: "{#AppUserModelId}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\photoclip-app.exe"; Tasks: desktopicon; AppUserModelID: "{#AppUserModelId}"

[Run]
Filename: "{app}\photoclip-app.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ The PATH entry lives in the user's environment for a per-user install and in the
  machine's for an all-users install; ChangesEnvironment=yes tells running programs. }

function EnvironmentRoot: Integer;
begin
  if IsAdminInstallMode then
    Result := HKEY_LOCAL_MACHINE
  else
    Result := HKEY_CURRENT_USER;
end;

function EnvironmentKey: String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

procedure AddToPath(const Dir: String);
var
  Paths: String;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths) then
    Paths := '';
  if Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') > 0 then
    exit;
  if (Paths <> '') and (Copy(Paths, Length(Paths), 1) <> ';') then
    Paths := Paths + ';';
  if not RegWriteExpandStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths + Dir) then
    Log('Could not add ' + Dir + ' to PATH');
end;

procedure RemoveFromPath(const Dir: String);
var
  Paths: String;
  P: Integer;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths) then
    exit;
  Paths := ';' + Paths + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if P = 0 then
    exit;
  Delete(Paths, P, Length(Dir) + 1);
  if Length(Paths) <= 2 then
    Paths := ''
  else
    Paths := Copy(Paths, 2, Length(Paths) - 2);
  if not RegWriteExpandStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths) then
    Log('Could not remove ' + Dir + ' from PATH');
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddToPath(ExpandConstant('{app}'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
