using System.Collections.Concurrent;
using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// The wire form of grain calls between processes: arguments and results as compact little-endian binary, tensors as
/// raw fp32 bytes, never JSON. Supports int, long, ulong, bool, double, enums (int-backed), string, float[], byte[] (null allowed),
/// IReadOnlyList&lt;T&gt; and records built through one public constructor. Input is untrusted: every length is
/// checked against the bytes that remain, depth is bounded, and any violation is a <see cref="FormatException"/>.
/// </summary>
public static class BinaryCodec
{
    private const int MaxDepth = 8;

    public static byte[] Serialize(IReadOnlyList<object?> values, IReadOnlyList<Type> types)
    {
        using var buffer = new FrameBuffer(EstimateBytes(values));
        SerializeInto(buffer, values, types);
        return buffer.ToArray();
    }

    /// <summary>Appends the values to <paramref name="into"/> (a pooled buffer: tensors dominate a frame).</summary>
    public static void SerializeInto(FrameBuffer into, IReadOnlyList<object?> values, IReadOnlyList<Type> types)
    {
        for (int i = 0; i < types.Count; i++) Write(into, values[i], types[i], 0);
    }

    /// <summary>About how many bytes the values take in the frame's own buffer, to size it once (a large byte block is
    /// referenced, not copied, so only its length prefix counts).</summary>
    public static long EstimateBytes(IReadOnlyList<object?> values) =>
        256 + values.Sum(v => v switch
        {
            byte[] b => (b.Length >= FrameBuffer.ReferencedBlockBytes ? 0 : b.Length) + 4L,
            float[] f => 4L * f.Length + 4,
            string s => 4L * s.Length + 4,
            _ => 64L,
        });

    public static object?[] Deserialize(ReadOnlySpan<byte> bytes, IReadOnlyList<Type> types)
    {
        var values = DeserializePrefix(bytes, types, out int consumed);
        if (consumed != bytes.Length) throw new FormatException($"grain message: {bytes.Length - consumed} bytes left over after the last value");
        return values;
    }

    /// <summary>Reads the values at the start of <paramref name="bytes"/>; <paramref name="consumed"/> says how many bytes they took.</summary>
    public static object?[] DeserializePrefix(ReadOnlySpan<byte> bytes, IReadOnlyList<Type> types, out int consumed)
    {
        var reader = new Reader(bytes);
        var values = new object?[types.Count];
        for (int i = 0; i < types.Count; i++) values[i] = Read(ref reader, types[i], 0);
        consumed = bytes.Length - reader.Remaining;
        return values;
    }

    private static void Write(FrameBuffer w, object? value, Type type, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException($"grain message: values nest deeper than {MaxDepth}");
        if (type == typeof(int)) w.WriteInt32((int)value!);
        else if (type == typeof(long)) w.WriteInt64((long)value!);
        else if (type == typeof(ulong)) w.WriteInt64((long)(ulong)value!);
        else if (type == typeof(bool)) w.WriteByte((bool)value! ? (byte)1 : (byte)0);
        else if (type == typeof(double)) w.WriteInt64(BitConverter.DoubleToInt64Bits((double)value!));
        else if (type.IsEnum) w.WriteInt32(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));
        else if (type == typeof(string)) WriteBytes(w, value is null ? null : Encoding.UTF8.GetBytes((string)value));
        else if (type == typeof(byte[])) WriteBytes(w, (byte[]?)value);
        else if (type == typeof(float[]))
        {
            if (value is null) w.WriteInt32(-1);
            else WriteBytes(w, MemoryMarshal.AsBytes(((float[])value).AsSpan()));
        }
        else if (ListItemType(type) is { } item)
        {
            var list = (System.Collections.IList)value!;
            w.WriteInt32(list.Count);
            foreach (object? element in list) Write(w, element, item, depth + 1);
        }
        else
        {
            var shape = RecordShape(type);
            w.WriteByte(value is null ? (byte)0 : (byte)1);
            if (value is null) return;
            for (int i = 0; i < shape.Parameters.Length; i++) Write(w, shape.Properties[i].GetValue(value), shape.Parameters[i].ParameterType, depth + 1);
        }
    }

    private static void WriteBytes(FrameBuffer w, ReadOnlySpan<byte> bytes) { w.WriteInt32(bytes.Length); w.Write(bytes); }

    private static void WriteBytes(FrameBuffer w, byte[]? bytes)
    {
        w.WriteInt32(bytes is null ? -1 : bytes.Length);
        if (bytes is not null) w.WriteBlock(bytes);   // a large block is sent from where it is, not copied
    }

    private static object? Read(ref Reader r, Type type, int depth)
    {
        if (depth > MaxDepth) throw new FormatException($"grain message: values nest deeper than {MaxDepth}");
        if (type == typeof(int)) return r.Int32();
        if (type == typeof(long)) return r.Int64();
        if (type == typeof(ulong)) return (ulong)r.Int64();
        if (type == typeof(bool)) return r.Byte() switch { 0 => false, 1 => true, var b => throw new FormatException($"grain message: a bool byte must be 0 or 1, found {b}") };
        if (type == typeof(double)) return BitConverter.Int64BitsToDouble(r.Int64());
        if (type.IsEnum)
        {
            int raw = r.Int32();
            var value = Enum.ToObject(type, raw);
            return Enum.IsDefined(type, value) ? value : throw new FormatException($"grain message: {raw} is not a {type.Name}");
        }
        if (type == typeof(string)) return r.Bytes(1) is { } s ? Encoding.UTF8.GetString(s) : null;
        if (type == typeof(byte[])) return r.Bytes(1);
        if (type == typeof(float[])) return r.Floats();
        if (ListItemType(type) is { } item)
        {
            int count = r.Int32();
            if (count < 0 || count > r.Remaining) throw new FormatException($"grain message: a list of {count} items cannot fit in the {r.Remaining} bytes left");
            var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
            for (int i = 0; i < count; i++) list.Add(Read(ref r, item, depth + 1));
            return list;
        }
        var (constructor, parameters, _) = RecordShape(type);
        if (r.Byte() == 0) return null;
        var args = new object?[parameters.Length];
        for (int i = 0; i < parameters.Length; i++) args[i] = Read(ref r, parameters[i].ParameterType, depth + 1);
        return constructor.Invoke(args);
    }

    private static Type? ListItemType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;

    private static readonly ConcurrentDictionary<Type, (ConstructorInfo Constructor, ParameterInfo[] Parameters, PropertyInfo[] Properties)> RecordShapes = new();

    /// <summary>A record's constructor, its parameters and the property behind each: looked up once per type, not per message.</summary>
    private static (ConstructorInfo Constructor, ParameterInfo[] Parameters, PropertyInfo[] Properties) RecordShape(Type type) =>
        RecordShapes.GetOrAdd(type, static t =>
        {
            var constructors = t.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
            if (!t.IsClass || constructors.Length != 1)
                throw new ArgumentException($"grain messages are records with one public constructor; {t.Name} is not");
            var parameters = constructors[0].GetParameters();
            var properties = parameters.Select(p => t.GetProperty(p.Name!, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
                ?? throw new ArgumentException($"grain messages are records; {t.Name} has no property for its parameter {p.Name}")).ToArray();
            return (constructors[0], parameters, properties);
        });

    /// <summary>Reads from untrusted bytes; every read checks what remains.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;
        public readonly int Remaining => _rest.Length;

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _rest.Length) throw new FormatException($"grain message: expected {count} more bytes, found {_rest.Length} (truncated?)");
            var taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }

        public byte Byte() => Take(1)[0];
        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        /// <summary>A length-prefixed byte block (-1: null) whose length must be a multiple of <paramref name="unit"/>.</summary>
        public byte[]? Bytes(int unit)
        {
            if (!Block(unit, out var bytes)) return null;
            var copy = GC.AllocateUninitializedArray<byte>(bytes.Length);   // every byte is overwritten: skip zeroing megabytes
            bytes.CopyTo(copy);
            return copy;
        }

        public float[]? Floats()
        {
            if (!Block(4, out var bytes)) return null;
            var copy = GC.AllocateUninitializedArray<float>(bytes.Length / 4);
            bytes.CopyTo(MemoryMarshal.AsBytes(copy.AsSpan()));
            return copy;
        }

        /// <summary>False for a null block.</summary>
        private bool Block(int unit, out ReadOnlySpan<byte> bytes)
        {
            bytes = default;
            int length = Int32();
            if (length == -1) return false;
            if (length < 0 || length % unit != 0) throw new FormatException($"grain message: a block of {length} bytes (unit {unit}) is malformed");
            bytes = Take(length);
            return true;
        }
    }
}
