namespace TttCluster.Model.Weights;

/// <summary>
/// The element types the safetensors format defines, named as they are spelled in a file's header. Only
/// <see cref="F32"/>, <see cref="F16"/> and <see cref="BF16"/> can be read into a tensor; the others are known so
/// that a file holding them can still be opened, validated and listed.
/// </summary>
public enum SafetensorsDType
{
    BOOL,
    U8,
    I8,
    F8_E5M2,
    F8_E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}
