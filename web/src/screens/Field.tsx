import { useId } from "react";

/** A labelled input with its error (from the API's ProblemDetails) announced next to it. */
export function Field(props: {
  label: string;
  type?: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  autoComplete?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? "text"}
        value={props.value}
        autoComplete={props.autoComplete}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? id + "-error" : undefined}
        onChange={(e) => props.onChange(e.target.value)}
        required
      />
      {props.error && (
        <p id={id + "-error"} className="error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
