using System.Text;

namespace Mero.State.Text;

/// <summary>
/// One replica's characters indexed by seq. Stored as UTF-16 chars while every code point is in
/// the BMP (2 bytes a char, copies are memcpy); switches to one int per code point the first time
/// an astral character arrives, so seq stays a direct index.
/// </summary>
internal sealed class RgaContent
{
    private char[] _narrow = [];
    private int[]? _wide;

    public void Resize(int size)
    {
        if (_wide is not null)
        {
            Array.Resize(ref _wide, size);
        }
        else
        {
            Array.Resize(ref _narrow, size);
        }
    }

    /// <summary>Stores code points skip.. of a validated string at seq onwards.</summary>
    public void Write(int seq, string text, int codePoints, int skip = 0)
    {
        if (_wide is null && codePoints == text.Length)
        {
            text.AsSpan(skip).CopyTo(_narrow.AsSpan(seq));
            return;
        }

        var all = new int[codePoints];
        RgaCodePoints.Copy(text, all);
        Widen();
        all.AsSpan(skip).CopyTo(_wide.AsSpan(seq));
    }

    public int Get(int seq) => _wide is null ? _narrow[seq] : _wide[seq];

    public void Set(int seq, int codePoint)
    {
        if (_wide is null && codePoint < 0x10000)
        {
            _narrow[seq] = (char)codePoint;
            return;
        }

        Widen();
        _wide[seq] = codePoint;
    }

    /// <summary>Writes chars seq..seq+length-1 as UTF-16; returns chars written.</summary>
    public int CopyUtf16(int seq, int length, Span<char> destination)
    {
        if (_wide is null)
        {
            _narrow.AsSpan(seq, length).CopyTo(destination);
            return length;
        }

        return RgaCodePoints.ToUtf16(_wide.AsSpan(seq, length), destination);
    }

    public void WriteUtf8(int seq, int length, RgaWireWriter writer)
    {
        if (_wide is null)
        {
            writer.Utf8(_narrow.AsSpan(seq, length));
        }
        else
        {
            writer.Utf8(_wide.AsSpan(seq, length));
        }
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_wide))]
    private void Widen()
    {
        if (_wide is not null)
        {
            return;
        }

        _wide = new int[_narrow.Length];
        for (var i = 0; i < _narrow.Length; i++)
        {
            _wide[i] = _narrow[i];
        }

        _narrow = [];
    }
}
