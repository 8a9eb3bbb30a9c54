using System.Text;

namespace OrleansSocial.Text;

/// <summary>
/// The one rule every string a client sends is held to, wherever it arrives (JSON fields, query strings, route values,
/// headers we read): no control characters — NUL, the other C0 controls, DEL and the C1 controls — except tab and line
/// breaks in long text; no unpaired UTF-16 surrogate (no character at all: it cannot be stored or sent on). Names shown
/// to others refuse the bidirectional formatting characters that reorder what surrounds them. Text compared for
/// uniqueness or equality (emails, hashtags) is compared in Unicode normalisation form C.
/// </summary>
public static class ClientText
{
    /// <summary>Why <paramref name="value"/> is refused, or null; <paramref name="longText"/> allows tab and line breaks.</summary>
    public static string? Problem(string value, bool longText)
    {
        ArgumentNullException.ThrowIfNull(value);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return "The text is not valid Unicode (an unpaired surrogate).";
            }

            if (char.IsControl(c) && !(longText && c is '\t' or '\n' or '\r'))
            {
                return c == '\0' ? "The text contains a NUL character."
                    : longText ? "The text contains a control character (only tabs and line breaks are allowed)."
                    : "The text contains a control character or a line break.";
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="value"/> holds a bidirectional formatting character (embeddings, overrides, isolates and
    /// the directional marks), refused in names: they can make a name display as another.
    /// </summary>
    public static bool HasBidiControls(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><paramref name="value"/> in normalisation form C (the same string when it already is).</summary>
    public static string Nfc(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.IsNormalized(NormalizationForm.FormC) ? value : value.Normalize(NormalizationForm.FormC);
    }
}
