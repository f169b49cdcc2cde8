/**
 * Creating accounts: the password policy and the email check, then the
 * hash, then the store. Self-registration and the create-admin script both
 * come through here, so an admin password obeys the same policy.
 */
import type { PasswordConfig } from '../contract/config';
import { EmailTakenError, ValidationError, type FieldProblem } from '../contract/errors';
import { roleConfig, type Role } from '../contract/roles';
import { LIMITS } from '../contract/settings';
import { normalizeEmail } from './email';
import { passwordProblem, type PasswordHasher } from './passwords';
import type { User, Users } from './users';

export interface NewUser {
  readonly email: string;
  readonly password: string;
  readonly name?: string | undefined;
}

export class Registration {
  constructor(
    private readonly users: Users,
    private readonly hasher: PasswordHasher,
    private readonly config: Pick<PasswordConfig, 'minLength'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the normalised email, or throws one ValidationError naming every bad field. */
  validate(input: NewUser): string {
    const problems: FieldProblem[] = [];
    const email = normalizeEmail(input.email);
    if (!email) problems.push({ field: 'email', message: `must be an email address of at most ${LIMITS.emailMaxLength} characters` });
    const passwordIssue = passwordProblem(input.password, this.config);
    if (passwordIssue) problems.push({ field: 'password', message: passwordIssue });
    if (input.name !== undefined && [...input.name.trim()].length > LIMITS.nameMaxLength) {
      problems.push({ field: 'name', message: `must be at most ${LIMITS.nameMaxLength} characters` });
    }
    if (problems.length > 0 || !email) throw new ValidationError(problems);
    return email;
  }

  /** Self-registration passes nothing for `role` and gets the configured registration role; create-admin passes its own. */
  async register(input: NewUser, role: Role = roleConfig().registration): Promise<User> {
    const email = this.validate(input);
    // A cheap early answer for the common duplicate, before bcrypt; the conditional put is what guarantees uniqueness.
    if (await this.users.accountByEmail(email)) throw new EmailTakenError();
    const passwordHash = await this.hasher.hash(input.password);
    return this.users.create({ email, role, passwordHash, name: input.name }, new Date(this.now()).toISOString());
  }
}
