"""Makes pth/dtypes_deflated.pth from pth/dtypes.pth: the same entries re-zipped with deflate
(method 8) under another top folder name, as zip tools other than torch.save write them. Its
expected tensors are dtypes.expected.safetensors. Run from Tests/Oracles: python3 make_pth_variants.py"""
import zipfile

source = zipfile.ZipFile("pth/dtypes.pth")
with zipfile.ZipFile("pth/dtypes_deflated.pth", "w", compression=zipfile.ZIP_DEFLATED) as target:
    for info in source.infolist():
        entry = zipfile.ZipInfo(info.filename.replace("dtypes/", "another folder/", 1), date_time=(2026, 12, 1, 0, 0, 0))
        target.writestr(entry, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
